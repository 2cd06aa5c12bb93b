package learning

import (
	"sync"
	"time"

	"github.com/dangjian/dangjian/internal/platform/clock"
)

// Limiter is a per-account token bucket (anti-scraping: a person answers a question a day and reads a
// few pages; a script that walks the column is slowed to a crawl). In memory, per instance.
type Limiter struct {
	mu      sync.Mutex
	clock   clock.Clock
	every   time.Duration // one token per interval
	burst   float64
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows burst requests at once and then one every interval, per account.
func NewLimiter(c clock.Clock, burst int, every time.Duration) *Limiter {
	return &Limiter{clock: c, every: every, burst: float64(burst), buckets: map[int64]*bucket{}}
}

// Allow takes a token for the account; when none is left it says how long to wait.
func (l *Limiter) Allow(userID int64) (bool, time.Duration) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[userID]
	if !ok {
		if len(l.buckets) > 100000 { // forget idle accounts rather than grow without bound
			for k, v := range l.buckets {
				if now.Sub(v.at) > time.Duration(l.burst)*l.every {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[userID] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}
