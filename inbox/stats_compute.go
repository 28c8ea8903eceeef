package inbox

import (
	"math"
	"slices"
	"time"
)

// The report's arithmetic over statistics rows: one pass to count, sum
// and collect, then one sort per timing for its exact median and 90th
// percentile.

// seconds turns milliseconds into seconds, rounded to the millisecond.
func seconds(ms float64) *float64 {
	v := math.Round(ms) / 1000
	return &v
}

func roundTo(v float64, places int) *float64 {
	f := math.Pow10(places)
	r := math.Round(v*f) / f
	return &r
}

// measured is row r's value of timing measure m, and whether it counts:
// the timing is set, and waiting and accepting are counted for incoming
// conversations only.
func measured(r *StatsRow, m int) (int64, bool) {
	v := r.Timings[m]
	if v < 0 || ((m == measureWaitingForAnswer || m == measureTimeToAccept) && r.Type != Incoming) {
		return 0, false
	}
	return v, true
}

// add counts row r into c; end is when the period ends (or now, if
// sooner): the outcome is as of then.
func (c *ConversationCounts) add(r *StatsRow, end time.Time) {
	c.New++
	if r.Type == Outgoing {
		c.Outgoing++
	} else {
		c.Incoming++
	}
	switch r.Channel {
	case ChannelLiveChat:
		c.ByChannel.LiveChat++
	case ChannelTelegram:
		c.ByChannel.Telegram++
	case ChannelEmail:
		c.ByChannel.Email++
	}
	if r.Answered {
		c.Answered++
	}
	if r.Missed {
		c.Missed++
	}
	closed := !r.Closed.IsZero() && r.Closed.Before(end)
	switch {
	case closed && r.Status == StatusSpam:
		c.Spam++
	case closed && !r.ClosedByAgent.IsZero():
		c.ClosedByAgent++
	case closed:
		c.ClosedByTimeout++
	case !r.ClosedByAgent.IsZero() && r.ClosedByAgent.Before(end):
		c.ClosedByAgent++ // closing: an agent closed it, the client's rating is awaited
	default:
		c.StillOpen++
	}
}

func (c *ConversationCounts) finish() {
	if c.Incoming > 0 {
		c.MissedRate = roundTo(float64(c.Missed)/float64(c.Incoming), 4)
	}
}

// add counts a rating; 0 (none) is not one.
func (s *RatingStats) add(v int) {
	if v >= 1 && v <= 5 {
		s.Count++
		s.Distribution[v-1]++
	}
}

func (s *RatingStats) finish() {
	if s.Count == 0 {
		return
	}
	var sum int64
	for i, n := range s.Distribution {
		sum += int64(i+1) * n
	}
	s.Average = roundTo(float64(sum)/float64(s.Count), 3)
}

// averages sums timings for their averages.
type averages struct {
	sum, n [measureCount]int64
}

func (a *averages) add(r *StatsRow) {
	for m := range measureCount {
		if v, ok := measured(r, m); ok {
			a.sum[m] += v
			a.n[m]++
		}
	}
}

func (a *averages) avg(m int) *float64 {
	if a.n[m] == 0 {
		return nil
	}
	return seconds(float64(a.sum[m]) / float64(a.n[m]))
}

func (a *averages) result() TimeAverages {
	return TimeAverages{
		WaitingForAnswer: a.avg(measureWaitingForAnswer), TimeToAccept: a.avg(measureTimeToAccept),
		FirstReaction: a.avg(measureFirstReaction), ChatBot: a.avg(measureChatBot),
		Response: a.avg(measureResponse), Duration: a.avg(measureDuration),
	}
}

// timeStats summarises values exactly; it sorts them.
func timeStats(values []int64) TimeStats {
	n := len(values)
	if n == 0 {
		return TimeStats{}
	}
	slices.Sort(values)
	var sum int64
	for _, v := range values {
		sum += v
	}
	median := float64(values[n/2])
	if n%2 == 0 {
		median = (float64(values[n/2-1]) + float64(values[n/2])) / 2
	}
	rank := (9*n + 9) / 10 // ⌈0.9·n⌉
	return TimeStats{
		Count:   int64(n),
		Average: seconds(float64(sum) / float64(n)),
		Median:  seconds(median),
		P90:     seconds(float64(values[rank-1])),
		Max:     seconds(float64(values[n-1])),
	}
}

// agentAcc gathers one agent's figures.
type agentAcc struct {
	st            AgentStats
	frSum, frN    int64
	clientRatings RatingStats
}

// summarise fills the report's counts, times, ratings, load and series
// from the rows, and returns the figures of each agent who had one of
// them (presence aside).
func summarise(r *Report, rows []StatsRow, p *period, now time.Time) map[string]*AgentStats {
	end := minTime(p.end, now)
	values := [measureCount][]int64{}
	buckets := make([]ReportBucket, len(p.starts))
	bucketAvg := make([]averages, len(p.starts))
	for i := range buckets {
		buckets[i].Start, buckets[i].StartAt = p.labels[i], p.starts[i]
	}
	agents := map[string]*agentAcc{}
	var longest *StatsRow
	for i := range rows {
		row := &rows[i]
		r.Conversations.add(row, end)
		for m := range measureCount {
			if v, ok := measured(row, m); ok {
				values[m] = append(values[m], v)
			}
		}
		r.Ratings.Client.add(row.ClientRating)
		r.Ratings.Supervisor.add(row.SupervisorRating)
		local := row.Created.In(p.loc)
		r.Load.HourOfWeek[(int(local.Weekday())+6)%7][local.Hour()]++
		if w, ok := measured(row, measureWaitingForAnswer); ok && (longest == nil || w > longest.Timings[measureWaitingForAnswer] ||
			(w == longest.Timings[measureWaitingForAnswer] && row.Number < longest.Number)) {
			longest = row
		}
		if b := p.bucket(row.Created); b >= 0 && b < len(buckets) {
			buckets[b].Conversations.add(row, end)
			bucketAvg[b].add(row)
			buckets[b].ClientRating.add(row.ClientRating)
		}
		if row.AgentID != "" {
			a := agents[row.AgentID]
			if a == nil {
				a = &agentAcc{st: AgentStats{AgentID: row.AgentID}}
				agents[row.AgentID] = a
			}
			a.st.Handled++
			if row.Answered {
				a.st.Answered++
			}
			if row.Missed {
				a.st.Missed++
			}
			if v, ok := measured(row, measureFirstReaction); ok {
				a.frSum += v
				a.frN++
			}
			a.clientRatings.add(row.ClientRating)
		}
	}
	r.Conversations.finish()
	r.Ratings.Client.finish()
	r.Ratings.Supervisor.finish()
	r.Times = ReportTimes{
		WaitingForAnswer: timeStats(values[measureWaitingForAnswer]),
		TimeToAccept:     timeStats(values[measureTimeToAccept]),
		FirstReaction:    timeStats(values[measureFirstReaction]),
		ChatBot:          timeStats(values[measureChatBot]),
		Response:         timeStats(values[measureResponse]),
		Duration:         timeStats(values[measureDuration]),
	}
	if longest != nil {
		r.Load.LongestWait = &LongestWait{Seconds: *seconds(float64(longest.Timings[measureWaitingForAnswer])),
			ConversationID: longest.ID, Number: longest.Number}
	}
	for i := range buckets {
		buckets[i].Conversations.finish()
		buckets[i].ClientRating.finish()
		buckets[i].Averages = bucketAvg[i].result()
	}
	r.Series = buckets
	out := make(map[string]*AgentStats, len(agents))
	for id, a := range agents {
		if a.frN > 0 {
			a.st.FirstReactionAverage = seconds(float64(a.frSum) / float64(a.frN))
		}
		a.clientRatings.finish()
		a.st.ClientRating = a.clientRatings
		out[id] = &a.st
	}
	return out
}
