// Runs in the report page (plain browser JavaScript, inlined by html.ts after the ECharts bundle
// and chart-options.js): draws the chart specs of model.ts. Animation is off so a printed or
// captured page shows the final marks; window.__reportReady is set once every chart is drawn.
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('rlvr-report-charts').textContent);
  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var spec = specs[Number(el.getAttribute('data-chart'))];
    try {
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption(window.rlvrChartOptions.build(spec));
      charts.push(chart);
    } catch (err) {
      el.textContent = 'chart failed to render: ' + err;
      console.error('chart "' + spec.title + '" failed:', err);
    }
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) {
      c.resize();
    });
  });
  window.__reportReady = true;
})();
