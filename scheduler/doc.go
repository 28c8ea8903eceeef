// Package scheduler will run Switchboard's timed jobs with robfig/cron:
// presence by business hours, offline after inactivity, missed-conversation
// alerts after 30 seconds, transcript e-mails and auto-close.
//
// It is not built yet. Lines already carry their business hours
// (inbox.BusinessHours) and the service already changes presence
// (inbox.Service.SetPresence).
package scheduler
