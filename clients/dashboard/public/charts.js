// Live line charts over the dashboard's points (uPlot, vendored in ./vendor). A chart's series are
// worked out from the points on every update; when they change (a new grain type, a new sale) the
// chart is rebuilt, otherwise only its data is replaced.

const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d', '#9333ea'];

const compact = value => Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(value);

export class LiveChart {
  /**
   * @param figure element to draw in
   * @param series (points) => [{ label, values }] with one value per point (null for a gap)
   */
  constructor(figure, series) {
    this.figure = figure;
    this.series = series;
    this.plot = null;
    this.labels = '';
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(figure);
  }

  size() {
    return { width: Math.max(240, this.figure.clientWidth - 16), height: 190 };
  }

  update(points) {
    const series = this.series(points);
    const data = [points.map(p => Date.parse(p.at) / 1000), ...series.map(s => s.values)];
    const labels = series.map(s => s.label).join('\u0000');
    if (this.plot && labels === this.labels) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.labels = labels;
    this.plot = new uPlot({
      ...this.size(),
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 1.5, points: { show: false } }))],
      axes: [{}, { size: 60, values: (u, ticks) => ticks.map(compact) }],
    }, data, this.figure);
  }
}
