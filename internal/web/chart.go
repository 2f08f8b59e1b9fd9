package web

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// usageChart draws requests per hour as an SVG bar chart: one stacked bar per hour, a colour
// per series (in the order of rows), the tenant's hourly threshold as a dashed line when it is
// within sight (thresholdShown says whether it is). Every text is escaped; the result is safe to
// embed.
func usageChart(series map[string]map[int64]int64, rows []usageRow, first, last int64, threshold int64) (svg string, thresholdShown bool) {
	const w, h, left, bottom, top = 960, 260, 56, 28, 16
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
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">`, w, h)
	b.WriteString(`<title id="chart-title">API requests per hour</title>`)
	for i := 0; i <= 4; i++ {
		v := scaleMax * int64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e7eb"/>`, left, w-8, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#6b7280">%d</text>`, left-6, y(v)+4, v)
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
				x+1, y1, maxf(bw-2, 1), y0-y1, colors[k%len(colors)], html.EscapeString(r.Name), n, time.Unix((first+int64(i))*3600, 0).UTC().Format("Jan 2 15:00 UTC"))
			base += n
		}
		if t := time.Unix((first+int64(i))*3600, 0).UTC(); t.Hour()%6 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#6b7280">%s</text>`, x, h-10, t.Format("Jan 2 15h"))
		}
	}
	thresholdShown = threshold > 0 && threshold <= scaleMax
	if thresholdShown {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dc2626" stroke-dasharray="6 4" stroke-width="1.5"/>`, left, w-8, y(threshold), y(threshold))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" fill="#dc2626" text-anchor="end">threshold %d/hour</text>`, w-10, y(threshold)-4, threshold)
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
