// Appended to a copy of a report by run_layout.sh: records the boxes of the
// report's main elements and anything that does not fit, as JSON in
// a pre element (id pf-layout) for chromium --dump-dom.
(function () {
  function box(e) {
    var r = e.getBoundingClientRect();
    return [Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY), Math.round(r.width),
            Math.round(r.height)];
  }
  function name(e) {
    var n = e.tagName.toLowerCase();
    if (e.id) n += '#' + e.id;
    var c = e.getAttribute('class');
    if (c) n += '.' + c.split(' ')[0];
    return n;
  }
  var out = {vw: window.innerWidth, sw: document.documentElement.scrollWidth, els: [], tables: [], clipped: []};
  var sel = 'body,h1,nav,section,figure.chart,figure.chart>svg,ul.legend,article.proc,footer';
  Array.prototype.forEach.call(document.querySelectorAll(sel), function (e) {
    out.els.push({k: name(e), b: box(e)});
  });
  Array.prototype.forEach.call(document.querySelectorAll('table'), function (t) {
    var sec = t.closest('section');
    var r = t.getBoundingClientRect(), p = (sec || document.body).getBoundingClientRect();
    var wrap = t.parentElement;
    // the narrowest the table can be (every cell wrapped): the room to spare
    var keep = t.style.width;
    t.style.width = 'min-content';
    var minw = t.getBoundingClientRect().width;
    t.style.width = keep;
    out.tables.push({sec: sec ? sec.id : '', cls: t.getAttribute('class') || '',
                     right: Math.round(r.right), limit: Math.round(p.right),
                     spare: Math.round(p.right - r.left - minw),
                     scroll: wrap.scrollWidth > wrap.clientWidth + 1});
  });
  Array.prototype.forEach.call(document.querySelectorAll('svg'), function (s) {
    var sb = s.getBoundingClientRect();
    Array.prototype.forEach.call(s.querySelectorAll('text'), function (x) {
      var r = x.getBoundingClientRect();
      if (r.left < sb.left - 0.5 || r.right > sb.right + 0.5)
        out.clipped.push(x.textContent + ' at ' + Math.round(r.left) + '..' + Math.round(r.right) +
                         ' outside ' + Math.round(sb.left) + '..' + Math.round(sb.right));
    });
  });
  var pre = document.createElement('pre');
  pre.id = 'pf-layout';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
