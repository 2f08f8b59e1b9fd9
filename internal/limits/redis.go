package limits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis counts for every node in Redis: requests per tenant and minute in keys that expire after
// the hour, thread slots as members of a sorted set per key, each with a lease (a node that dies
// holding slots loses them when the lease ends).
type Redis struct {
	c      *redis.Client
	Lease  time.Duration // how long a slot is held at most; default 5 minutes (Autotask's execution timeout)
	Prefix string        // of every key; default "switchboard:"
}

// OpenRedis connects to redis://host:port/db.
func OpenRedis(url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	return &Redis{c: redis.NewClient(opt), Lease: 5 * time.Minute, Prefix: "switchboard:"}, nil
}

// Close closes the client.
func (r *Redis) Close() error { return r.c.Close() }

func (r *Redis) minuteKey(tenant, minute int64) string {
	return r.Prefix + "api:" + strconv.FormatInt(tenant, 10) + ":" + strconv.FormatInt(minute, 10)
}

// Sync adds the deltas and reads the window of the tenants, in one round trip.
func (r *Redis) Sync(ctx context.Context, deltas []Delta, tenants []int64, fromMinute int64) (map[int64]map[int64]int64, error) {
	pipe := r.c.Pipeline()
	for _, d := range deltas {
		k := r.minuteKey(d.Tenant, d.Minute)
		pipe.IncrBy(ctx, k, d.Requests)
		pipe.Expire(ctx, k, 62*time.Minute)
	}
	gets := make([]*redis.SliceCmd, len(tenants))
	for i, t := range tenants {
		keys := make([]string, 60)
		for m := range keys {
			keys[m] = r.minuteKey(t, fromMinute+int64(m))
		}
		gets[i] = pipe.MGet(ctx, keys...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	out := map[int64]map[int64]int64{}
	for i, t := range tenants {
		for m, v := range gets[i].Val() {
			s, ok := v.(string)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n == 0 {
				continue
			}
			if out[t] == nil {
				out[t] = map[int64]int64{}
			}
			out[t][fromMinute+int64(m)] = n
		}
	}
	return out, nil
}

var acquireScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`)

// Acquire takes a slot of the key if fewer than limit are held.
func (r *Redis) Acquire(ctx context.Context, key string, limit int) (func(), bool, error) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	k := r.Prefix + "threads:" + strconv.FormatUint(h.Sum64(), 16)
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	now := time.Now().UnixMilli()
	lease := r.Lease.Milliseconds()
	ok, err := acquireScript.Run(ctx, r.c, []string{k}, now, now+lease, limit, token, lease).Int()
	if err != nil {
		return nil, false, fmt.Errorf("redis: %w", err)
	}
	if ok != 1 {
		return nil, false, nil
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = r.c.ZRem(ctx, k, token).Err() // on failure the lease ends it
		})
	}, true, nil
}
