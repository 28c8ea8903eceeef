// Package scheduler runs Switchboard's timed work: jobs on robfig/cron
// with a seconds field (ending the rating wait of closing conversations,
// deleting uploads nobody sent) and the missed watcher (missed.go), which
// marks each conversation missed at its own deadline. Presence by business
// hours and inactivity join it as they are built.
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
	// CloseInactive closes conversations whose client has been silent for
	// their line's autoCloseMinutes.
	CloseInactive(ctx context.Context) (int, error)
	// ReofferStale gives conversations their agent has not taken within
	// the line's reofferAfterSeconds to the next agent.
	ReofferStale(ctx context.Context) (int, error)
}

// Uploads is what the scheduler needs of the file store.
type Uploads interface {
	// SweepUploads deletes uploads that stayed unsent for too long.
	SweepUploads(ctx context.Context) (int, error)
}

// Jobs are the parts whose work the scheduler runs; a nil part's job is
// not scheduled.
type Jobs struct {
	Inbox   Inbox
	Uploads Uploads
}

// Config sets the jobs' schedules (cron specs with seconds).
type Config struct {
	// CloseExpired runs the rating-timeout job; default every 10 s.
	CloseExpired string
	// SweepUploads runs the unsent-upload sweep; default every 10 min.
	SweepUploads string
	// CloseInactive runs the auto-close job; default every 30 s.
	CloseInactive string
	// Reoffer runs the re-offer job; default every 5 s.
	Reoffer string
	// JobTimeout bounds one run of a job; default 1 min.
	JobTimeout time.Duration
	// OnRun is told of every run of a job: its name, when it started, how
	// long it took and its error (metrics). Optional.
	OnRun func(job string, started time.Time, took time.Duration, err error)
}

// Scheduler runs the jobs until its context ends.
type Scheduler struct {
	jobs Jobs
	cfg  Config
	log  *slog.Logger
}

// New builds a scheduler.
func New(jobs Jobs, cfg Config, log *slog.Logger) *Scheduler {
	if cfg.CloseExpired == "" {
		cfg.CloseExpired = "*/10 * * * * *"
	}
	if cfg.Reoffer == "" {
		cfg.Reoffer = "*/5 * * * * *"
	}
	if cfg.CloseInactive == "" {
		cfg.CloseInactive = "*/30 * * * * *"
	}
	if cfg.SweepUploads == "" {
		cfg.SweepUploads = "0 */10 * * * *"
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.OnRun == nil {
		cfg.OnRun = func(string, time.Time, time.Duration, error) {}
	}
	return &Scheduler{jobs: jobs, cfg: cfg, log: log.With("component", "scheduler")}
}

// job is one scheduled piece of work: it returns how many things it did.
type job struct {
	name string
	spec string
	run  func(ctx context.Context) (int, error)
	done string // logged with the count when it did something
}

// Run starts the jobs and blocks until ctx ends; it then waits for running
// jobs to finish. The gateway runs it under a lease (inbox/lease), so one
// node runs the jobs; every job is idempotent all the same.
func (s *Scheduler) Run(ctx context.Context) error {
	c := cron.New(cron.WithSeconds(), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	var jobs []job
	if s.jobs.Inbox != nil {
		jobs = append(jobs, job{"close-expired", s.cfg.CloseExpired, s.jobs.Inbox.CloseExpired, "closed conversations after the rating wait"},
			job{"close-inactive", s.cfg.CloseInactive, s.jobs.Inbox.CloseInactive, "closed conversations whose client had gone"},
			job{"reoffer", s.cfg.Reoffer, s.jobs.Inbox.ReofferStale, "offered conversations nobody took to the next agent"})
	}
	if s.jobs.Uploads != nil {
		jobs = append(jobs, job{"sweep-uploads", s.cfg.SweepUploads, s.jobs.Uploads.SweepUploads, "deleted uploads that were never sent"})
	}
	for _, j := range jobs {
		if _, err := c.AddFunc(j.spec, func() { s.run(ctx, j) }); err != nil {
			return fmt.Errorf("scheduler: %s schedule %q: %w", j.name, j.spec, err)
		}
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

func (s *Scheduler) run(parent context.Context, j job) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.JobTimeout)
	defer cancel()
	start := time.Now()
	n, err := j.run(ctx)
	s.cfg.OnRun(j.name, start, time.Since(start), err)
	switch {
	case err != nil && parent.Err() == nil:
		s.log.Error("scheduled job failed", "job", j.name, "err", err)
	case n > 0:
		s.log.Info(j.done, "job", j.name, "count", n)
	}
}
