package sync

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RunScheduler runs the jobs that are due — not paused, with a schedule, whose latest run
// started at least ScheduleMinutes ago — one at a time, checking every tick, until ctx ends.
// "switchboard serve" runs it.
func (s *Service) RunScheduler(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.runDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) runDue(ctx context.Context) {
	jobs, err := s.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("listing sync jobs failed", slog.String("error", err.Error()))
		}
		return
	}
	now := time.Now()
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		if j.Paused || j.Settings.ScheduleMinutes <= 0 || j.NextRun.After(now) || j.Status.State == StateSyncing {
			continue
		}
		if _, err := s.Run(ctx, j.Name, RunOptions{}); err != nil && !errors.Is(err, ErrRunning) && !errors.Is(err, ErrPaused) {
			s.Logger.Warn("scheduled sync run failed", slog.String("sync_job", j.Name), slog.String("error", err.Error()))
		}
	}
}

// RunAsync starts a run ("Sync now" from the console) and returns at once; Get shows its
// progress. A paused or running job is refused, as by Run. The run is detached from ctx's
// cancellation (a request that asked for it may end).
func (s *Service) RunAsync(ctx context.Context, name string, opt RunOptions) error {
	r, err := s.begin(ctx, name, opt)
	if err != nil {
		return err
	}
	go func() { _, _ = r.exec(context.WithoutCancel(ctx), opt) }()
	return nil
}
