// Package scheduler runs Switchboard's timed jobs on robfig/cron with a
// seconds field. Today it ends the rating wait of closing conversations;
// presence by business hours, inactivity and missed-conversation alerts
// join it as they are built.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Inbox is what the scheduler needs of the inbox.
type Inbox interface {
	// CloseExpired closes conversations whose rating wait is over.
	CloseExpired(ctx context.Context) (int, error)
}

// Config sets the jobs' schedules (cron specs with seconds).
type Config struct {
	// CloseExpired runs the rating-timeout job; default every 10 s.
	CloseExpired string
	// JobTimeout bounds one run of a job; default 1 min.
	JobTimeout time.Duration
}

// Scheduler runs the jobs until its context ends.
type Scheduler struct {
	inbox Inbox
	cfg   Config
	log   *slog.Logger
}

// New builds a scheduler.
func New(inbox Inbox, cfg Config, log *slog.Logger) *Scheduler {
	if cfg.CloseExpired == "" {
		cfg.CloseExpired = "*/10 * * * * *"
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{inbox: inbox, cfg: cfg, log: log.With("component", "scheduler")}
}

// Run starts the jobs and blocks until ctx ends; it then waits for running
// jobs to finish. Every job is idempotent, so several nodes may run it.
func (s *Scheduler) Run(ctx context.Context) error {
	c := cron.New(cron.WithSeconds(), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(s.cfg.CloseExpired, func() { s.closeExpired(ctx) }); err != nil {
		return fmt.Errorf("scheduler: close-expired schedule %q: %w", s.cfg.CloseExpired, err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

func (s *Scheduler) closeExpired(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.JobTimeout)
	defer cancel()
	n, err := s.inbox.CloseExpired(ctx)
	switch {
	case err != nil && parent.Err() == nil:
		s.log.Error("close expired conversations", "err", err)
	case n > 0:
		s.log.Info("closed conversations after the rating wait", "count", n)
	}
}
