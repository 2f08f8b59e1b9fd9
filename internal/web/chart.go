package web

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// usageChart draws requests per hour as an SVG bar chart: one stacked bar per hour, a colour
// per series (in the order of rows), the tenant's hourly threshold as a dashed line when it is
// within sight (thresholdShown says whether it is). It draws it twice, a wide drawing for
// screens that fit it and a narrow one for a phone (CSS shows one): scaled down to a phone's
// width the wide one's labels would be a few pixels high. Every text is escaped; the result is
// safe to embed.
func usageChart(series map[string]map[int64]int64, rows []usageRow, first, last int64, threshold int64) (svg string, thresholdShown bool) {
	wide, shown := drawUsage(chartLayout{class: "wide", w: 960, h: 260, left: 56, font: 11, yTicks: 4}, series, rows, first, last, threshold)
	narrow, _ := drawUsage(chartLayout{class: "narrow", w: 360, h: 240, left: 40, font: 13, yTicks: 2}, series, rows, first, last, threshold)
	return wide + narrow, shown
}

// chartLayout is the size of one drawing in its own units (it scales to its box's width) and
// its text size in those units.
type chartLayout struct {
	class            string
	w, h, left, font int
	yTicks           int
}

func drawUsage(l chartLayout, series map[string]map[int64]int64, rows []usageRow, first, last int64, threshold int64) (string, bool) {
	w, h, left := l.w, l.h, l.left
	bottom, top := l.font+l.font*3/2, l.font+6
	colors := []string{"#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563"}
	hours := int(last - first + 1)
	if hours < 1 {
		hours = 1
	}
	totals := make([]int64, hours)
	var max int64
	for _, s := range series {
		for hr, n := range s {
			if i := int(hr - first); i >= 0 && i < hours {
				totals[i] += n
				if totals[i] > max {
					max = totals[i]
				}
			}
		}
	}
	scaleMax := max
	if threshold > 0 && threshold < max*2 {
		if threshold > scaleMax {
			scaleMax = threshold
		}
	}
	if scaleMax == 0 {
		scaleMax = 10
	}
	scaleMax = niceCeil(scaleMax)
	plotW, plotH := float64(w-left-8), float64(h-top-bottom)
	bw := plotW / float64(hours)
	y := func(v int64) float64 { return float64(top) + plotH - plotH*float64(v)/float64(scaleMax) }
	// Hour labels: as many as fit at this size, every 6, 12 or 24 hours, or every few days.
	labelW := float64(l.font) * 4.2 // "Jan 2" or "Jan 2 12h" at this font
	if hours <= 48 && l.class == "wide" {
		labelW = float64(l.font) * 6
	}
	every := 6
	for _, e := range []int{6, 12, 24, 48, 72, 168} {
		every = e
		if float64(e)*bw >= labelW*1.15 {
			break
		}
	}
	var b strings.Builder
	id := "chart-title-" + l.class
	fmt.Fprintf(&b, `<svg class="chart %s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s" xmlns="http://www.w3.org/2000/svg">`, l.class, w, h, id)
	fmt.Fprintf(&b, `<title id="%s">API requests per hour</title>`, id)
	for i, prev := 0, int64(-1); i <= l.yTicks; i++ {
		v := scaleMax * int64(i) / int64(l.yTicks)
		if v == prev {
			continue // a small scale: no label twice
		}
		prev = v
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e7eb"/>`, left, w-8, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="%d" fill="#6b7280">%d</text>`, left-5, y(v)+float64(l.font)/3, l.font, v)
	}
	for i := 0; i < hours; i++ {
		base := int64(0)
		x := float64(left) + float64(i)*bw
		for k, r := range rows {
			n := series[r.Code][first+int64(i)]
			if n == 0 {
				continue
			}
			y0, y1 := y(base), y(base+n)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d requests, %s</title></rect>`,
				x+maxf(bw*0.1, 0.2), y1, maxf(bw*0.8, 0.6), y0-y1, colors[k%len(colors)], html.EscapeString(r.Name), n, time.Unix((first+int64(i))*3600, 0).UTC().Format("Jan 2 15:00 UTC"))
			base += n
		}
		t := time.Unix((first+int64(i))*3600, 0).UTC()
		if (t.Unix()/3600)%int64(every) != 0 || x+labelW > float64(w) {
			continue
		}
		label := t.Format("Jan 2 15h")
		if every >= 24 || (t.Hour() == 0 && l.class == "narrow") {
			label = t.Format("Jan 2")
		} else if l.class == "narrow" {
			label = t.Format("15h")
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#cbd2dc"/>`, x, x, y(0), y(0)+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="%d" fill="#6b7280">%s</text>`, x, h-l.font/2-2, l.font, label)
	}
	thresholdShown := threshold > 0 && threshold <= scaleMax
	if thresholdShown {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dc2626" stroke-dasharray="6 4" stroke-width="1.5"/>`, left, w-8, y(threshold), y(threshold))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="%d" fill="#dc2626" text-anchor="end">threshold %d/hour</text>`, w-10, y(threshold)-4, l.font, threshold)
	}
	b.WriteString(`</svg>`)
	return b.String(), thresholdShown
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v int64) int64 {
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// legendColor is the colour of the k-th series (the table beside the chart).
func legendColor(k int) string {
	colors := []string{"#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563"}
	return colors[k%len(colors)]
}
