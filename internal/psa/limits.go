package psa

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-psa/switchboard/internal/store"
)

// The tenant's hourly API request threshold, its notices and usage per tracking identifier and
// API user ("API activity by hour"). Counting itself is internal/limits.

// MaxAPIThreshold bounds the hourly threshold an administrator can set.
const MaxAPIThreshold = 1_000_000_000

// UsageRetention is how long usage by hour and threshold notices are kept.
const UsageRetention = 30 * 24 * time.Hour

// APIThreshold returns a tenant's hourly request threshold.
func (s *Service) APIThreshold(ctx context.Context, tenant int64) (int64, error) {
	t, err := s.DB.TenantByID(ctx, tenant)
	if err != nil {
		return 0, err
	}
	return t.RequestThreshold, nil
}

// ThresholdNotice is a tenant crossing 50, 75 or 100% of its threshold, for its administrators.
type ThresholdNotice struct {
	Hour      time.Time `json:"hour"`
	Tier      int64     `json:"tierPercent"`
	Requests  int64     `json:"requests"`
	Threshold int64     `json:"threshold"`
	At        time.Time `json:"at"`
	Message   string    `json:"message"`
}

func noticeMessage(n store.ThresholdNotice) string {
	if n.Tier >= 100 {
		return "The API request threshold was reached: requests are refused (429) until the rolling hour frees."
	}
	return "API usage passed " + map[int64]string{50: "50%", 75: "75%"}[n.Tier] + " of the hourly threshold: every request is slowed down."
}

// RecordThresholdNotice keeps a notice for the tenant's administrators, once per tier and
// hour. Email is not sent (no SMTP sender yet; see docs/api-limits.md).
func (s *Service) RecordThresholdNotice(ctx context.Context, tenant int64, tier int, requests, threshold int64, at time.Time, log *slog.Logger) {
	n := store.ThresholdNotice{TenantID: tenant, Hour: at.Unix() / 3600, Tier: int64(tier), Requests: requests, Threshold: threshold, CreatedAt: at}
	added, err := s.DB.AddThresholdNotice(ctx, n)
	if err != nil {
		log.Error("record API threshold notice", slog.Int64("tenant", tenant), slog.Int("tier", tier), slog.Any("error", err))
		return
	}
	if added {
		log.Warn("API threshold notice", slog.Int64("tenant", tenant), slog.Int("tier_percent", tier), slog.Int64("requests", requests), slog.Int64("threshold", threshold))
	}
}

// ThresholdNotices lists the tenant's notices of the last hours, newest first.
func (s *Service) ThresholdNotices(ctx context.Context, hours int) ([]ThresholdNotice, error) {
	list, err := s.DB.ThresholdNotices(ctx, time.Now().Unix()/3600-int64(hours)+1)
	if err != nil {
		return nil, err
	}
	out := make([]ThresholdNotice, 0, len(list))
	for _, n := range list {
		out = append(out, ThresholdNotice{Hour: time.Unix(n.Hour*3600, 0).UTC(), Tier: n.Tier, Requests: n.Requests, Threshold: n.Threshold,
			At: n.CreatedAt.UTC(), Message: noticeMessage(n)})
	}
	return out, nil
}

// APIUsage is the requests of one tracking identifier and API user in one hour.
type APIUsage struct {
	Hour       time.Time `json:"hour"`
	Code       string    `json:"integrationCode"`
	Identifier string    `json:"identifier"` // the tracking identifier's name
	ResourceID int64     `json:"resourceID"` // 0: counted before usage was kept per API user
	Username   string    `json:"username"`
	Requests   int64     `json:"requests"`
}

// UsageByHour lists the tenant's requests per identifier, API user and hour of the last hours,
// oldest hour first (at most 30 days are kept).
func (s *Service) UsageByHour(ctx context.Context, hours int) ([]APIUsage, error) {
	list, err := s.DB.UsageByUserSince(ctx, time.Now().Unix()/3600-int64(hours)+1)
	if err != nil {
		return nil, err
	}
	ids, err := s.DB.TrackingIdentifiers(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range ids {
		names[t.Code] = t.Name
	}
	users, err := s.DB.APIUsers(ctx)
	if err != nil {
		return nil, err
	}
	usernames := map[int64]string{}
	for _, u := range users {
		usernames[u.ResourceID] = u.Username
	}
	out := make([]APIUsage, 0, len(list))
	for _, u := range list {
		out = append(out, APIUsage{Hour: time.Unix(u.Hour*3600, 0).UTC(), Code: u.Code, Identifier: names[u.Code], ResourceID: u.ResourceID,
			Username: usernames[u.ResourceID], Requests: u.Requests})
	}
	return out, nil
}

// PruneUsage deletes usage and notices older than UsageRetention, in every tenant.
func (s *Service) PruneUsage(ctx context.Context, now time.Time) error {
	return s.DB.PruneUsage(ctx, now.Add(-UsageRetention).Unix()/3600)
}

// RecordUsage adds request counts per identifier and hour to the stored totals (the server
// flushes its counters here).
func (s *Service) RecordUsage(ctx context.Context, deltas []store.Usage) error {
	return s.DB.AddUsage(ctx, deltas)
}

// Usage lists the tenant's requests per identifier and hour from an hour (unix seconds / 3600) on.
func (s *Service) Usage(ctx context.Context, sinceHour int64) ([]store.Usage, error) {
	return s.DB.UsageSince(ctx, sinceHour)
}
