package api

import (
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/go-analyze/charts"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Rendering of the statistics charts (statscharts.go) with go-analyze/charts.
// Every series can be told apart without colour: lines by their symbols
// (circle, square, diamond, also in the legend), bars by their value labels
// and their fixed order in each group, heat map cells by their counts.
// A chart without figures is a message, not an empty plot.

// The charts, by the name in the route.
const (
	chartConversations = "conversations.svg"
	chartTimes         = "times.svg"
	chartAgents        = "agents.svg"
	chartPresence      = "presence.svg"
	chartRatings       = "ratings.svg"
	chartHeatmap       = "heatmap.svg"
)

// chartNames are the charts there are.
var chartNames = []string{chartConversations, chartTimes, chartAgents, chartPresence, chartRatings, chartHeatmap}

// Chart sizes, in pixels: the SVG scales (viewBox); the agents' charts
// grow with the number of agents, up to chartMaxHeight.
const (
	chartWidth         = 800
	chartHeight        = 360
	chartHeatmapHeight = 560
	chartMaxHeight     = 4000
	chartMaxName       = 32 // an agent's name is cut after this many characters
	chartBarBuckets    = 12 // series of up to this many buckets are drawn as bars
	chartMaxBar        = 56 // pixels
	chartPointLabels   = 16 // lines of more points are drawn without value labels
)

var (
	chartTextColor = charts.Color{R: 33, G: 33, B: 33, A: 255}
	// Okabe–Ito colours: told apart with the common colour blindnesses.
	chartBlue   = charts.Color{R: 0, G: 114, B: 178, A: 255}
	chartGreen  = charts.Color{R: 0, G: 158, B: 115, A: 255}
	chartRed    = charts.Color{R: 213, G: 94, B: 0, A: 255}
	chartOrange = charts.Color{R: 230, G: 159, B: 0, A: 255}
	chartGrey   = charts.Color{R: 150, G: 150, B: 150, A: 255}
	chartSky    = charts.Color{R: 86, G: 180, B: 233, A: 255}

	// chartTheme prints well: white background, dark text.
	chartTheme = charts.MakeTheme(charts.ThemeOption{
		AxisStrokeColor:    charts.Color{R: 110, G: 112, B: 121, A: 255},
		AxisSplitLineColor: charts.Color{R: 224, G: 228, B: 236, A: 255},
		BackgroundColor:    charts.ColorWhite,
		TextColor:          chartTextColor,
		SeriesColors:       []charts.Color{chartBlue, chartGreen, chartRed},
	})
	// chartFont has Latin, Polish, German and Cyrillic letters.
	chartFont = charts.GetFont(charts.FontFamilyNotoSans)
	// chartSymbols tell the lines apart.
	chartSymbols = []charts.SymbolShape{charts.SymbolCircle, charts.SymbolSquare, charts.SymbolDiamond}
)

// chartDraw draws one chart of a report.
type chartDraw struct {
	r      *inbox.Report
	l      chartLang
	format string // charts.ChartOutputSVG; charts.ChartOutputPNG to look at a chart while working on it
	p      *charts.Painter
	title  string
}

// renderStatsChart draws the chart named chart (one of chartNames) of r
// with the texts in lang, as a standalone SVG document.
func renderStatsChart(r *inbox.Report, chart, lang string) ([]byte, error) {
	raw, title, err := drawStatsChart(r, chart, lang, charts.ChartOutputSVG)
	if err != nil {
		return nil, err
	}
	return finishChartSVG(raw, title)
}

// drawStatsChart draws the chart in format; title is its title. A panic
// of the chart library is returned as an error.
func drawStatsChart(r *inbox.Report, chart, lang, format string) (out []byte, title string, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("chart %s: the chart library failed: %v", chart, v)
		}
	}()
	d := &chartDraw{r: r, l: chartLangOf(lang), format: format}
	switch chart {
	case chartConversations:
		err = d.conversations()
	case chartTimes:
		err = d.times()
	case chartAgents:
		err = d.agents()
	case chartPresence:
		err = d.presence()
	case chartRatings:
		err = d.ratings()
	case chartHeatmap:
		err = d.heatmap()
	default:
		return nil, "", fmt.Errorf("no chart %q: %w", chart, inbox.ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("chart %s: %w", chart, err)
	}
	if out, err = d.p.Bytes(); err != nil {
		return nil, "", fmt.Errorf("chart %s: %w", chart, err)
	}
	return out, d.title, nil
}

// newPainter starts the canvas. The font has Latin, Polish, German and
// Cyrillic letters, so that texts are measured as wide as they are drawn
// (the library's default font has no Cyrillic).
func (d *chartDraw) newPainter(w, h int) {
	d.p = charts.NewPainter(charts.PainterOptions{
		OutputFormat: d.format, Width: w, Height: h,
		Font: chartFont, Theme: chartTheme,
	})
}

// titleOption is the title, with the period (and more) below it.
func (d *chartDraw) titleOption(title string, sub ...string) charts.TitleOption {
	d.title = title
	subtext := d.period()
	for _, s := range sub {
		subtext += " · " + s
	}
	return charts.TitleOption{
		Text: title, Subtext: subtext,
		FontStyle: chartStyle(15), SubtextFontStyle: chartStyle(11),
	}
}

// period is the report's period, its last day included.
func (d *chartDraw) period() string {
	last := d.r.To
	if t, err := time.Parse(time.DateOnly, d.r.To); err == nil {
		last = t.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if last == d.r.From {
		return d.r.From
	}
	return fmt.Sprintf(d.l.t(ctPeriod), d.r.From, last)
}

// chartLegend names the series below the plot.
func chartLegend(names ...string) charts.LegendOption {
	return charts.LegendOption{
		SeriesNames: names, Offset: charts.OffsetStr{Left: charts.PositionCenter, Top: charts.PositionBottom},
		FontStyle: chartStyle(11),
	}
}

// chartStyle is the charts' font in size (points) and colour. Every text is
// given it: the library falls back to its default font (Roboto, without
// Cyrillic) for axes and labels even when the painter has another.
func chartStyle(size float64) charts.FontStyle {
	return charts.FontStyle{FontSize: size, FontColor: chartTextColor, Font: chartFont}
}

// chartCategoryAxis labels the categories.
func chartCategoryAxis(title string, labels []string) charts.CategoryAxisOption {
	return charts.CategoryAxisOption{Title: title, Labels: labels, LabelFontStyle: chartStyle(10), TitleFontStyle: chartStyle(11)}
}

// valueAxis is a scale from zero for values. Small counts (decimals 0)
// get a tick per whole number, not halves written as whole numbers; all
// zero, a scale to 1.
func (d *chartDraw) valueAxis(title string, decimals int, values [][]float64) charts.ValueAxisOption {
	axis := charts.ValueAxisOption{Title: title, Min: charts.Ptr(0.0), ValueFormatter: d.formatter(decimals),
		LabelFontStyle: chartStyle(10), TitleFontStyle: chartStyle(11)}
	top := 0.0
	for _, vs := range values {
		for _, v := range vs {
			if v != charts.GetNullValue() {
				top = math.Max(top, v)
			}
		}
	}
	switch {
	case top == 0:
		axis.Max, axis.LabelCount = charts.Ptr(1.0), 2
	case decimals == 0 && top < 5:
		axis.Max = charts.Ptr(math.Ceil(top) + 1)
		axis.LabelCount = int(math.Ceil(top)) + 2
	}
	return axis
}

// valueLabel writes each value by its bar, point or cell.
func (d *chartDraw) valueLabel(decimals int) charts.SeriesLabel {
	return charts.SeriesLabel{Show: charts.Ptr(true), ValueFormatter: d.formatter(decimals), FontStyle: chartStyle(9)}
}

// formatter writes values with at most decimals decimals in the language.
func (d *chartDraw) formatter(decimals int) charts.ValueFormatter {
	return func(v float64) string { return d.l.number(v, decimals) }
}

// noData draws the title and the message that the period has no figures.
func (d *chartDraw) noData(title string, h int) error {
	d.newPainter(chartWidth, h)
	d.title = title
	white := charts.ColorWhite
	d.p.FilledRect(0, 0, chartWidth, h, white, white, 0)
	d.p.Text(title, 20, 36, 0, chartStyle(15))
	d.p.Text(d.period(), 20, 56, 0, chartStyle(11))
	msg, style := d.l.t(ctNoData), chartStyle(14)
	box := d.p.MeasureText(msg, 0, style)
	d.p.Text(msg, max(20, (chartWidth-box.Width())/2), h/2+box.Height()/2, 0, style)
	return nil
}

// seriesAxis is the x axis of the series: a label per bucket.
func (d *chartDraw) seriesAxis() charts.XAxisOption {
	g := string(d.r.Group)
	withYear := d.r.Start.Year() != d.r.End.Add(-time.Second).Year()
	labels := make([]string, len(d.r.Series))
	for i, b := range d.r.Series {
		labels[i] = d.l.date(b.Start, g, withYear)
	}
	title := ctDay
	switch d.r.Group {
	case inbox.GroupWeek:
		title = ctWeek
	case inbox.GroupMonth:
		title = ctMonth
	}
	if len(labels) == 1 {
		// The library puts a lone label at the axis' start, not under its
		// bars: it goes with the axis' title.
		return chartCategoryAxis(d.l.t(title)+": "+labels[0], []string{""})
	}
	return chartCategoryAxis(d.l.t(title), labels)
}

// series draws series over the report's buckets: grouped bars, each
// labelled, for a few buckets; lines told apart by symbols for more.
func (d *chartDraw) series(title charts.TitleOption, yTitle string, decimals int, names []string, values [][]float64) error {
	d.newPainter(chartWidth, chartHeight)
	yAxis := d.valueAxis(yTitle, decimals, values)
	label := d.valueLabel(decimals)
	if len(d.r.Series) <= chartBarBuckets {
		opt := charts.NewBarChartOptionWithData(values)
		opt.Theme = chartTheme
		opt.Title = title
		opt.Legend = chartLegend(names...)
		opt.CategoryAxis = d.seriesAxis()
		opt.CategoryAxis.LabelCount = len(d.r.Series) // each bucket's label under its bars
		opt.ValueAxis = []charts.ValueAxisOption{yAxis}
		// Bars no wider than chartMaxBar: the share of a bucket's slot.
		if slot := float64(chartWidth-100) / float64(len(d.r.Series)); slot > 0 {
			opt.BarSize = min(0.9, chartMaxBar*float64(len(values))/slot)
		}
		opt.ValueFormatter = d.formatter(decimals)
		for i := range opt.SeriesList {
			opt.SeriesList[i].Label = label
		}
		return d.p.BarChart(opt)
	}
	opt := charts.NewLineChartOptionWithData(values)
	opt.Theme = chartTheme
	opt.Title = title
	opt.Legend = chartLegend(names...)
	opt.XAxis = d.seriesAxis()
	opt.YAxis = []charts.YAxisOption{yAxis}
	opt.LineStrokeWidth = 2
	opt.ValueFormatter = d.formatter(decimals)
	// Symbols as large as the points' spacing allows.
	size := min(4, max(1.5, float64(chartWidth-100)/float64(len(d.r.Series))/3))
	for i := range opt.SeriesList {
		opt.SeriesList[i].Symbol = charts.Symbol{Shape: chartSymbols[i%len(chartSymbols)], Size: size}
		if len(d.r.Series) <= chartPointLabels {
			opt.SeriesList[i].Label = label
		}
	}
	return d.p.LineChart(opt)
}

// conversations: new, answered and missed conversations per bucket.
func (d *chartDraw) conversations() error {
	title := d.l.t(ctConversations)
	if d.r.Conversations.New == 0 || len(d.r.Series) == 0 {
		return d.noData(title, chartHeight)
	}
	values := make([][]float64, 3)
	for _, b := range d.r.Series {
		c := b.Conversations
		values[0] = append(values[0], float64(c.New))
		values[1] = append(values[1], float64(c.Answered))
		values[2] = append(values[2], float64(c.Missed))
	}
	return d.series(d.titleOption(title), d.l.t(ctCount), 0,
		[]string{d.l.t(ctNew), d.l.t(ctAnswered), d.l.t(ctMissed)}, values)
}

// times: the average waits and reaction times per bucket, in seconds, or
// in minutes when one is two minutes or more.
func (d *chartDraw) times() error {
	pick := []func(inbox.TimeAverages) *float64{
		func(a inbox.TimeAverages) *float64 { return a.WaitingForAnswer },
		func(a inbox.TimeAverages) *float64 { return a.FirstReaction },
		func(a inbox.TimeAverages) *float64 { return a.Response },
	}
	var longest float64
	found := false
	for _, b := range d.r.Series {
		for _, f := range pick {
			if v := f(b.Averages); v != nil {
				longest, found = math.Max(longest, *v), true
			}
		}
	}
	unit, axis, div := ctUnitSeconds, ctSeconds, 1.0
	if longest >= 120 {
		unit, axis, div = ctUnitMinutes, ctMinutes, 60
	}
	title := fmt.Sprintf(d.l.t(ctTimes), d.l.t(unit))
	if !found {
		return d.noData(title, chartHeight)
	}
	values := make([][]float64, len(pick))
	for i, f := range pick {
		for _, b := range d.r.Series {
			v := charts.GetNullValue()
			if p := f(b.Averages); p != nil {
				v = *p / div
			}
			values[i] = append(values[i], v)
		}
	}
	return d.series(d.titleOption(title), d.l.t(axis), 1,
		[]string{d.l.t(ctWaiting), d.l.t(ctFirstReaction), d.l.t(ctResponse)}, values)
}

// chartAgentsHeight is the height of a chart of n agents with bars per agent.
func chartAgentsHeight(n, bars int) int {
	return min(chartMaxHeight, max(chartHeight, 140+n*(bars*13+16)))
}

// agentNames are the agents' names, top to bottom, cut to chartMaxName.
func (d *chartDraw) agentNames() []string {
	names := make([]string, len(d.r.Agents))
	for i, a := range d.r.Agents {
		name := a.Name
		if name == "" {
			name = d.l.t(ctDeletedAgent)
		}
		if utf8.RuneCountInString(name) > chartMaxName {
			name = string([]rune(name)[:chartMaxName-1]) + "…"
		}
		names[i] = name
	}
	return names
}

// hbars draws a horizontal bar chart of the agents, the first at the top,
// each value labelled.
func (d *chartDraw) hbars(title charts.TitleOption, xTitle string, decimals int, names []string, values [][]float64, colors []charts.Color) error {
	n := len(d.r.Agents)
	d.newPainter(chartWidth, chartAgentsHeight(n, len(values)))
	// The library draws the first category at the bottom.
	for _, v := range values {
		slices.Reverse(v)
	}
	labels := d.agentNames()
	slices.Reverse(labels)
	opt := charts.NewBarChartOptionWithData(values)
	opt.Horizontal = true
	opt.Theme = chartTheme.WithSeriesColors(colors)
	opt.Title = title
	opt.Legend = chartLegend(names...)
	opt.Padding = charts.Box{Top: 20, Right: 50, Bottom: 20, Left: 20, IsSet: true}
	opt.CategoryAxis = chartCategoryAxis("", labels)
	opt.ValueAxis = []charts.ValueAxisOption{d.valueAxis(xTitle, decimals, values)}
	opt.ValueFormatter = d.formatter(decimals)
	opt.SeriesLabelPosition = charts.PositionRight
	for i := range opt.SeriesList {
		opt.SeriesList[i].Label = d.valueLabel(decimals)
	}
	return d.p.BarChart(opt)
}

// agents: per agent the conversations handled, answered and missed.
func (d *chartDraw) agents() error {
	title := d.l.t(ctAgents)
	if len(d.r.Agents) == 0 {
		return d.noData(title, chartHeight)
	}
	values := make([][]float64, 3)
	for _, a := range d.r.Agents {
		values[0] = append(values[0], float64(a.Handled))
		values[1] = append(values[1], float64(a.Answered))
		values[2] = append(values[2], float64(a.Missed))
	}
	return d.hbars(d.titleOption(title), d.l.t(ctCount), 0,
		[]string{d.l.t(ctHandled), d.l.t(ctAgentAnswered), d.l.t(ctAgentMissed)}, values,
		[]charts.Color{chartBlue, chartGreen, chartRed})
}

// presence: per agent the hours online, invisible and offline.
func (d *chartDraw) presence() error {
	title := d.l.t(ctPresence)
	values := make([][]float64, 3)
	var total float64
	for _, a := range d.r.Agents {
		p := a.Presence
		values[0] = append(values[0], p.Online/3600)
		values[1] = append(values[1], p.Invisible/3600)
		values[2] = append(values[2], p.Offline/3600)
		total += p.Online + p.Invisible + p.Offline
	}
	if total == 0 {
		return d.noData(title, chartHeight)
	}
	return d.hbars(d.titleOption(title), d.l.t(ctHours), 1,
		[]string{d.l.t(ctOnline), d.l.t(ctInvisible), d.l.t(ctOffline)}, values,
		[]charts.Color{chartGreen, chartOrange, chartGrey})
}

// ratings: how many clients gave 1 to 5.
func (d *chartDraw) ratings() error {
	title := d.l.t(ctRatings)
	rs := d.r.Ratings.Client
	if rs.Count == 0 || rs.Average == nil {
		return d.noData(title, chartHeight)
	}
	d.newPainter(chartWidth, chartHeight)
	values := make([]float64, 5)
	for i, n := range rs.Distribution {
		values[i] = float64(n)
	}
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Theme = chartTheme
	opt.Title = d.titleOption(title, fmt.Sprintf(d.l.t(ctRatingsSummary), rs.Count, d.l.number(*rs.Average, 2)))
	opt.Legend = charts.LegendOption{Show: charts.Ptr(false)}
	opt.CategoryAxis = chartCategoryAxis(d.l.t(ctRating), []string{"1", "2", "3", "4", "5"})
	opt.ValueAxis = []charts.ValueAxisOption{d.valueAxis(d.l.t(ctRatingsCount), 0, [][]float64{values})}
	opt.ValueFormatter = d.formatter(0)
	opt.SeriesList[0].Label = d.valueLabel(0)
	return d.p.BarChart(opt)
}

// heatmap: conversations by weekday (columns, Monday first) and hour
// (rows, midnight at the top), each cell labelled with its count; a
// cell without conversations is left blank. (Hours as columns would put
// the hours' labels beside their cells: the library aligns the labels of
// a dense x axis with the ticks, not with the cells.)
func (d *chartDraw) heatmap() error {
	title := d.l.t(ctHeatmap)
	var top int64
	values := make([][]float64, 24)
	hours := make([]string, 24)
	for h := range values {
		values[h] = make([]float64, 7)
		hours[h] = fmt.Sprintf("%02d:00", h)
		for day := range values[h] {
			n := d.r.Load.HourOfWeek[day][h]
			top = max(top, n)
			values[h][day] = float64(n)
			if n == 0 {
				values[h][day] = charts.GetNullValue()
			}
		}
	}
	if top == 0 {
		return d.noData(title, chartHeatmapHeight)
	}
	days := make([]string, 7)
	for day := range days {
		days[day] = chartWeekdays[day][d.l]
	}
	d.newPainter(chartWidth, chartHeatmapHeight)
	opt := charts.NewHeatMapOptionWithData(values)
	opt.Theme = chartTheme.WithSeriesColors([]charts.Color{chartSky})
	opt.Title = d.titleOption(title, fmt.Sprintf(d.l.t(ctTimeZone), d.r.TimeZone))
	opt.XAxis = charts.HeatMapAxis{Labels: days, LabelFontStyle: chartStyle(10)}
	opt.YAxis = charts.HeatMapAxis{Title: d.l.t(ctHour), Labels: hours, LabelFontStyle: chartStyle(9), TitleFontStyle: chartStyle(11)}
	// The scale starts below zero so that a single conversation is not
	// drawn as white as none; the darkest cell keeps dark text readable.
	opt.ScaleMinValue = charts.Ptr(-float64(top) / 4)
	opt.ScaleMaxValue = charts.Ptr(float64(top))
	opt.ValuesLabel = d.valueLabel(0)
	return d.p.HeatMapChart(opt)
}
