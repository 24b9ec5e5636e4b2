// Turns the chart specs of model.ts (line, bar, scatter) into ECharts options. Plain browser
// JavaScript shared by the static report (inlined by html.ts before client.js) and the dashboard
// (served as a file): window.rlvrChartOptions.build(spec) is the one charting path of both.
(function () {
  'use strict';
  var PALETTE = ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377', '#BBBBBB'];
  var ERROR_BAR_COLOR = '#222222';
  var BAR_WIDTH = 0.7; // of a category's width, shared by the bars of one group
  var BAR_GAP = 0.15; // between bars of a group, as a fraction of one bar's width

  function base(spec) {
    return {
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      grid: { left: 64, right: 24, top: 24, bottom: 84 },
      legend: { bottom: 0, type: 'scroll' },
      yAxis: { type: 'value', name: spec.yLabel, nameLocation: 'middle', nameGap: 44, scale: spec.kind !== 'bar' },
    };
  }

  function lineOption(spec) {
    var o = base(spec);
    o.tooltip = { trigger: 'axis' };
    o.xAxis = { type: 'value', name: spec.xLabel, nameLocation: 'middle', nameGap: 28, scale: true };
    o.series = spec.series.map(function (s, i) {
      return { type: 'line', name: s.name, data: s.points, showSymbol: s.points.length <= 40, connectNulls: false, lineStyle: { width: 2 }, color: PALETTE[i % PALETTE.length] };
    });
    // a band is two stacked lines: an invisible lower edge, then (high − low) filled in the series' colour
    spec.series.forEach(function (s, i) {
      if (!s.band || s.band.length === 0) return;
      var color = PALETTE[i % PALETTE.length];
      var common = { type: 'line', name: s.name, stack: 'band' + i, symbol: 'none', silent: true, tooltip: { show: false }, lineStyle: { opacity: 0 } };
      o.series.push(Object.assign({}, common, { data: s.band.map(function (b) { return [b[0], b[1]]; }) }));
      o.series.push(Object.assign({}, common, { data: s.band.map(function (b) { return [b[0], b[2] - b[1]]; }), areaStyle: { color: color, opacity: 0.18 } }));
    });
    o.legend.data = spec.series.map(function (s) {
      return s.name;
    });
    return o;
  }

  function heatmapOption(spec) {
    var values = spec.cells.map(function (c) { return c[2]; }).filter(function (v) { return v !== null; });
    var lo = Math.min.apply(null, values.concat([0]));
    var hi = Math.max.apply(null, values.concat([0]));
    if (spec.diverging) {
      var m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      lo = -m;
      hi = m;
    } else if (lo === hi) {
      hi = lo + 1;
    }
    return {
      animation: false,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      tooltip: {
        formatter: function (p) {
          return spec.yCategories[p.data[1]] + ' · ' + spec.xCategories[p.data[0]] + ': ' + (p.data[2] === null ? '—' : p.data[2]);
        },
      },
      grid: { left: 96, right: 24, top: 24, bottom: 84 },
      xAxis: { type: 'category', data: spec.xCategories, name: spec.xLabel, nameLocation: 'middle', nameGap: 28, splitArea: { show: true } },
      yAxis: { type: 'category', data: spec.yCategories, name: spec.yLabel, nameLocation: 'middle', nameGap: 72, splitArea: { show: true } },
      visualMap: {
        min: lo,
        max: hi,
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        inRange: { color: spec.diverging ? ['#2166AC', '#F7F7F7', '#B2182B'] : ['#F7FBFF', '#6BAED6', '#08306B'] },
      },
      series: [{ type: 'heatmap', data: spec.cells.filter(function (c) { return c[2] !== null; }), label: { show: spec.cells.length <= 120, formatter: function (p) { return Number(p.data[2]).toFixed(2); } } }],
    };
  }

  function scatterOption(spec) {
    var o = base(spec);
    o.tooltip = {
      trigger: 'item',
      formatter: function (p) {
        var label = p.data.label ? p.data.label + '<br>' : '';
        return label + p.seriesName + ': (' + p.data.value[0] + ', ' + p.data.value[1] + ')';
      },
    };
    o.xAxis = { type: 'value', name: spec.xLabel, nameLocation: 'middle', nameGap: 28, scale: true };
    o.series = spec.series.map(function (s) {
      return {
        type: 'scatter',
        name: s.name,
        symbolSize: 8,
        data: s.points.map(function (pt, i) {
          return { value: pt, label: s.labels ? s.labels[i] : undefined };
        }),
      };
    });
    return o;
  }

  // Error bars are a custom series drawn over the bars: the group of n bars is centred on its
  // category, each bar BAR_WIDTH/n-ish wide with BAR_GAP between them (the bars use the same numbers).
  function errorBars(spec, seriesIndex) {
    var n = spec.series.length;
    var data = [];
    spec.series[seriesIndex].values.forEach(function (v, i) {
      if (v.value !== null && typeof v.low === 'number' && typeof v.high === 'number') data.push([i, v.low, v.high]);
    });
    return {
      type: 'custom',
      name: spec.series[seriesIndex].name,
      data: data,
      z: 10,
      tooltip: { show: false },
      renderItem: function (params, api) {
        var band = api.size([1, 0])[0];
        var bar = (band * BAR_WIDTH) / (n + (n - 1) * BAR_GAP);
        var centre = api.coord([api.value(0), 0])[0] - (band * BAR_WIDTH) / 2 + seriesIndex * bar * (1 + BAR_GAP) + bar / 2;
        var hi = api.coord([api.value(0), api.value(2)])[1];
        var lo = api.coord([api.value(0), api.value(1)])[1];
        var cap = Math.max(3, bar * 0.25);
        var style = { stroke: ERROR_BAR_COLOR, lineWidth: 1.5 };
        return {
          type: 'group',
          children: [
            { type: 'line', shape: { x1: centre, y1: hi, x2: centre, y2: lo }, style: style },
            { type: 'line', shape: { x1: centre - cap, y1: hi, x2: centre + cap, y2: hi }, style: style },
            { type: 'line', shape: { x1: centre - cap, y1: lo, x2: centre + cap, y2: lo }, style: style },
          ],
        };
      },
    };
  }

  function barOption(spec) {
    var o = base(spec);
    var n = spec.series.length;
    o.tooltip = {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: function (params) {
        var lines = [];
        params.forEach(function (p) {
          if (p.seriesType !== 'bar') return;
          var v = spec.series[p.seriesIndex].values[p.dataIndex];
          var ci = typeof v.low === 'number' && typeof v.high === 'number' ? ' [' + v.low + ', ' + v.high + ']' : '';
          lines.push(p.marker + p.seriesName + ': ' + (v.value === null ? '—' : v.value) + ci);
        });
        return (params.length ? params[0].name + '<br>' : '') + lines.join('<br>');
      },
    };
    o.xAxis = { type: 'category', data: spec.categories, axisLabel: { interval: 0 } };
    o.series = spec.series.map(function (s) {
      return {
        type: 'bar',
        name: s.name,
        barWidth: ((100 * BAR_WIDTH) / (n + (n - 1) * BAR_GAP)).toFixed(4) + '%',
        barGap: (100 * BAR_GAP).toFixed(4) + '%',
        data: s.values.map(function (v) {
          return v.value;
        }),
      };
    });
    // (a series without any interval gets no error-bar series: an empty one would draw nothing)
    spec.series.forEach(function (_, i) {
      var bars = errorBars(spec, i);
      if (bars.data.length > 0) o.series.push(bars);
    });
    // the error-bar series share their bar series' names; keep them out of the legend
    o.legend.data = spec.series.map(function (s) {
      return s.name;
    });
    return o;
  }

  var builders = { line: lineOption, bar: barOption, scatter: scatterOption, heatmap: heatmapOption };
  window.rlvrChartOptions = {
    palette: PALETTE,
    build: function (spec) {
      return builders[spec.kind](spec);
    },
  };
})();
