/**
 * Charts for the dashboard as inline SVG rendered on the server: no script, no chart library,
 * nothing for the Content-Security-Policy to allow. One kind is enough here: grouped bars over
 * categories (days, plans, queues), one colour per series, with the values written on the bars.
 */
import { html, type SafeHtml } from "./PanelHtml.ts"

export interface Series {
  readonly name: string
  readonly values: ReadonlyArray<number>
}

export interface BarChart {
  readonly title: string
  /** Label under each group of bars. */
  readonly categories: ReadonlyArray<string>
  readonly series: ReadonlyArray<Series>
  /** How values are written (e.g. two decimals for money). */
  readonly format?: (value: number) => string
  /** Said under the chart (why it is incomplete, say). */
  readonly note?: string
}

const width = 640
const plotHeight = 192
const margin = { top: 24, right: 12, left: 44 }
/** Roughly how wide a character of a 10px label is. */
const characterWidth = 5.5

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
const niceMax = (value: number) => {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? value
}

const defaultFormat = (value: number) => Number.isInteger(value) ? String(value) : value.toFixed(2)

export const barChart = (chart: BarChart): SafeHtml => {
  const format = chart.format ?? defaultFormat
  const max = niceMax(Math.max(0, ...chart.series.flatMap((series) => series.values)))
  // Labels too long for the room between them (queue names) are slanted, and the chart grows to
  // fit them; slanted labels reach left of their bars, so the plot starts far enough right.
  const count = Math.max(1, chart.categories.length)
  const longest = Math.max(0, ...chart.categories.map((category) => category.length))
  const roughGroupWidth = (width - margin.left - margin.right) / count
  const slanted = longest * characterWidth > roughGroupWidth * Math.ceil(count / 12)
  const reach = (category: string, index: number) =>
    Math.cos(Math.PI / 180 * 35) * category.length * characterWidth - (index + 0.5) * roughGroupWidth
  const left = slanted
    ? Math.max(margin.left, Math.ceil(Math.max(...chart.categories.map(reach)) + margin.left / 2))
    : margin.left
  const plotWidth = width - left - margin.right
  const groupWidth = plotWidth / Math.max(1, chart.categories.length)
  const labelsHeight = slanted ? Math.ceil(longest * characterWidth * 0.6) + 14 : 20
  const legendHeight = chart.series.length > 1 ? 24 : 0
  const height = margin.top + plotHeight + labelsHeight + legendHeight
  const barWidth = Math.max(2, (groupWidth * 0.8) / Math.max(1, chart.series.length))
  const y = (value: number) => margin.top + plotHeight - (value / max) * plotHeight
  const labelEvery = slanted ? 1 : Math.ceil(chart.categories.length / 12)
  const empty = chart.series.every((series) => series.values.every((value) => value === 0))

  return html`<figure class="chart"><h2>${chart.title}</h2><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${chart.title}">
<line class="axis" x1="${left}" y1="${y(0)}" x2="${width - margin.right}" y2="${y(0)}"/>
<line class="axis" x1="${left}" y1="${margin.top}" x2="${left}" y2="${y(0)}"/>
<text class="label" x="${left - 6}" y="${margin.top + 4}" text-anchor="end">${format(max)}</text>
<text class="label" x="${left - 6}" y="${y(0)}" text-anchor="end">0</text>
${
    chart.categories.map((category, index) => {
      const groupX = left + index * groupWidth + groupWidth * 0.1
      return html`<g>${
        chart.series.map((series, seriesIndex) => {
          const value = series.values[index] ?? 0
          const x = groupX + seriesIndex * barWidth
          return html`<rect class="series-${seriesIndex % 4}" x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${
            (barWidth - 1).toFixed(1)
          }" height="${(y(0) - y(value)).toFixed(1)}"><title>${series.name} · ${category}: ${
            format(value)
          }</title></rect>${
            value > 0 && chart.categories.length <= 14
              ? html`<text class="value" x="${(x + barWidth / 2).toFixed(1)}" y="${
                (y(value) - 3).toFixed(1)
              }" text-anchor="middle">${format(value)}</text>`
              : ""
          }`
        })
      }${
        index % labelEvery === 0
          ? slanted
            ? html`<text class="label" transform="translate(${(left + (index + 0.5) * groupWidth).toFixed(1)} ${
              y(0) + 10
            }) rotate(-35)" text-anchor="end">${category}</text>`
            : html`<text class="label" x="${(left + (index + 0.5) * groupWidth).toFixed(1)}" y="${
              y(0) + 14
            }" text-anchor="middle">${category}</text>`
          : ""
      }</g>`
    })
  }
${
    chart.series.length > 1
      ? chart.series.map((series, index) =>
        html`<rect class="series-${index % 4}" x="${left + index * 130}" y="${
          height - 16
        }" width="10" height="10"/><text class="legend" x="${left + index * 130 + 14}" y="${
          height - 7
        }">${series.name}</text>`
      )
      : ""
  }
${
    empty
      ? html`<text class="label" x="${width / 2}" y="${
        margin.top + plotHeight / 2
      }" text-anchor="middle">No data yet</text>`
      : ""
  }
</svg>${chart.note === undefined ? "" : html`<p class="note">${chart.note}</p>`}</figure>`
}
