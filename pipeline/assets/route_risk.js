/* route-risk map runtime (part of route-risk, MIT): hexagon layers decoded from H3 ids with
 * h3-js, explain cards, month slider, seizure/event points and the offline basemap.
 *
 * Safety contract: every data string this file receives was escaped in Python by
 * pipeline.render.escape_text (HTML entities for & < > " ' ` $ \ { } and line terminators),
 * so it is inserted as HTML and displays verbatim; numbers are formatted here.  No string is
 * ever evaluated.  window.routeRisk exposes counters for tests: hexCount (risk cells drawn in
 * the last frame), hexTotal (risk cells decoded), layers[key].drawn, ready (all layers added).
 */
(function () {
  'use strict';
  var RR = window.routeRisk = window.routeRisk || {
    hexCount: 0, hexTotal: 0, layers: {}, ready: false, hoverables: [], period: null
  };
  var MAX_LAT = 85.0511287798;

  function mercX(lng) { return (lng + 180) / 360; }
  function mercY(lat) {
    lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
    var s = Math.sin(lat * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  /* Cells arrive sorted, per resolution, as the first id (hex) plus base-36 deltas of
   * (cell >> 3*(15-res)): the trailing index digits of a cell are all 7 (binary 111). */
  function decodeCells(groups) {
    var ids = [], res = [];
    groups.forEach(function (g) {
      var shift = BigInt(3 * (15 - g.res)), low = (BigInt(1) << shift) - BigInt(1);
      var acc = BigInt('0x' + g.first) >> shift;
      ids.push(g.first); res.push(g.res);
      if (!g.deltas) { return; }
      var toks = g.deltas.split(',');
      for (var i = 0; i < toks.length; i++) {
        acc += BigInt(parseInt(toks[i], 36));
        ids.push(((acc << shift) | low).toString(16)); res.push(g.res);
      }
    });
    return {ids: ids, res: res};
  }

  /* Boundaries in normalised Web-Mercator units, longitudes unwrapped vertex to vertex so a
   * cell on the antimeridian is one contiguous polygon (drawn in every visible world copy). */
  function buildGeometry(ids) {
    var n = ids.length, offsets = new Int32Array(n + 1), total = 0, rings = new Array(n);
    for (var i = 0; i < n; i++) {
      rings[i] = h3.cellToBoundary(ids[i]);
      total += rings[i].length; offsets[i + 1] = total;
    }
    var xs = new Float64Array(total), ys = new Float64Array(total);
    var bx0 = new Float64Array(n), bx1 = new Float64Array(n);
    var by0 = new Float64Array(n), by1 = new Float64Array(n);
    for (i = 0; i < n; i++) {
      var r = rings[i], o = offsets[i], prev = r[0][1], x0 = Infinity, x1 = -Infinity;
      var y0 = Infinity, y1 = -Infinity;
      for (var j = 0; j < r.length; j++) {
        var lng = r[j][1];
        while (lng - prev > 180) { lng -= 360; }
        while (lng - prev < -180) { lng += 360; }
        prev = lng;
        var x = mercX(lng), y = mercY(r[j][0]);
        xs[o + j] = x; ys[o + j] = y;
        if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
        if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
      }
      bx0[i] = x0; bx1[i] = x1; by0[i] = y0; by1[i] = y1;
    }
    return {n: n, offsets: offsets, xs: xs, ys: ys, bx0: bx0, bx1: bx1, by0: by0, by1: by1};
  }

  function fmt(v) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) { return '–'; }
    if (Math.abs(v) >= 1000) { return Math.round(v).toLocaleString('en-US'); }
    return String(+v.toPrecision(4));
  }
  function isoDay(days) {
    return days === null || days === undefined ? 'none' :
      new Date(days * 86400000).toISOString().slice(0, 10);
  }
  function row(label, value, cls) {
    return '<tr><th>' + label + '</th><td class="' + (cls || 'rr-v') + '">' + value + '</td></tr>';
  }
  function missing(text) { return '<span class="rr-missing">' + text + '</span>'; }
  function known(arr, i) { return arr && arr[i] !== null && arr[i] !== undefined && isFinite(arr[i]); }
  function fmtTimes(v) {
    return '×' + (v >= 10 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(2)));
  }
  function fmtP(p) { return p < 0.001 ? '&lt;0.001' : String(+p.toPrecision(3)); }
  function fmtPct(p) { return p < 0.001 ? '&lt;0.1 %' : String(+(100 * p).toPrecision(3)) + ' %'; }

  /* The fitted model's rows of a card: expected events, P(at least one), relative risk and
   * the largest multiplicative shares (sent per rank: index into labels and code =
   * round(scale * ln share)); the rest multiply into "others", so the column multiplies to
   * the relative risk.  rr and P(any) are derived from the expected count when Python found
   * them to be expected / rrScale and the Poisson 1 - exp(-expected). */
  function fittedRows(F, i) {
    var hz = F.horizonDays ? 'next ' + fmt(F.horizonDays) + ' days' : 'next horizon';
    var ex = known(F.expected, i) ? F.expected[i] : null;
    var p = F.pAny ? (known(F.pAny, i) ? F.pAny[i] : null) :
      (F.pAnyPoisson && ex !== null ? 1 - Math.exp(-ex) : null);
    var rr = F.rr ? (known(F.rr, i) ? F.rr[i] : null) :
      (F.rrScale && ex !== null ? ex / F.rrScale : null);
    var h = '<div class="rr-section-title">model' + (F.model ? ' (' + F.model + ')' : '') +
      '</div><table class="rr-fitted">';
    h += row('Expected events', ex !== null ? fmt(ex) + ' (' + hz + ')' : missing('not available'));
    h += row('P(at least one)', p !== null ? fmtPct(p) : missing('not available'));
    h += row('Relative risk', rr !== null ? fmtTimes(rr) + ' the average cell' :
      missing('not available'));
    h += '</table>';
    var S = F.shares;
    if (!S.codes.length || S.codes[0][i] === null) {
      return h + '<table class="rr-shares">' + row('Shares', missing('not available for this cell')) +
        '</table>';
    }
    h += '<table class="rr-shares"><tr><th colspan="2">multiplicative shares</th></tr>';
    for (var k = 0; k < S.codes.length && S.codes[k][i] !== null; k++) {
      h += '<tr><td>' + S.labels[S.rank[k][i]] + '</td><td>' +
        fmtTimes(Math.exp(S.codes[k][i] / F.shareScale)) + '</td></tr>';
    }
    if (S.others && S.others[i] !== null) {
      h += '<tr><td>others</td><td>' + fmtTimes(Math.exp(S.others[i] / F.shareScale)) + '</td></tr>';
    }
    return h + '</table>';
  }

  /* Gi* and the emerging trend in two rows: z, corrected p and class; category and trend. */
  function hotspotRows(H, i) {
    var h = '', parts = [];
    if (H.z) { parts.push('z ' + (known(H.z, i) ? fmt(H.z[i]) : missing('not computed'))); }
    if (H.p) { parts.push(H.pLabel + ' ' + (known(H.p, i) ? fmtP(H.p[i]) : missing('not computed'))); }
    if (H.cls) { parts.push(H.cls[i] >= 0 ? H.clsLabels[H.cls[i]] : missing('class not computed')); }
    if (parts.length) { h += row('Gi* hot spot', parts.join(' · ')); }
    parts = [];
    if (H.category) {
      parts.push(H.category[i] >= 0 ? H.categories[H.category[i]] : missing('not computed'));
    }
    if (H.trend) {
      var t = 'trend ' + (H.trend[i] >= 0 ? H.trends[H.trend[i]] : missing('not computed'));
      if (H.trendP && known(H.trendP, i)) { t += ' (Mann-Kendall p ' + fmtP(H.trendP[i]) + ')'; }
      parts.push(t);
    }
    if (parts.length) { h += row('Emerging', parts.join(' · ')); }
    return h;
  }


  /* The risk's interval (its coverage from the run) and how often resamples keep the class. */
  function uncertaintyRows(U, i, label) {
    var h = '', level = U.level !== null ? fmt(U.level) + ' % interval' : 'interval';
    if (known(U.lower, i) && known(U.upper, i)) {
      h += row('Risk interval', fmt(U.lower[i]) + ' – ' + fmt(U.upper[i]) + ' (' + level + ')');
    } else {
      h += row('Risk interval', missing('not computed'));
    }
    if (U.stability) {
      h += row('Class stability', known(U.stability, i) ?
        fmtPct(U.stability[i]) + ' of resamples ' + (label ? 'in “' + label + '”' : 'in this class') :
        missing('not computed'));
    }
    return h;
  }

  L.RouteRiskHexLayer = L.Layer.extend({
    initialize: function (d) {
      this.d = d;
      var t0 = performance.now();
      var dec = decodeCells(d.cells);
      this.ids = dec.ids; this.g = buildGeometry(dec.ids);
      this.index = new Map();
      for (var i = 0; i < this.ids.length; i++) { this.index.set(this.ids[i], i); }
      this.resolutions = Array.from(new Set(dec.res));
      this.drawn = 0;
      this._setColours(this._classesFor(null));
      RR.layers[d.key] = this;
      if (d.key === 'risk') { RR.hexTotal = this.ids.length; }
      this.decodeMs = performance.now() - t0;
    },
    _classesFor: function (period) {
      var d = this.d, n = this.ids.length, out = new Int16Array(n);
      if (period === null) {
        for (var i = 0; i < n; i++) { out[i] = d.cls[i]; }
        return out;
      }
      var tl = d.timeline, vals = tl.risk[period], br = tl.breaks || d.breaks;
      /* One scale for every month: the classes the run gave each month on it (or the map's
       * breaks applied to the month's risk); a scale of other than the map's classes count
       * spreads its classes over the map's colours. */
      var nb = br.length - 1, nc = d.colors.length;
      var colour = function (k) { return nb === nc || nb < 2 ? k : Math.round(k * (nc - 1) / (nb - 1)); };
      for (i = 0; i < n; i++) {
        var k = tl.cls ? tl.cls[period][i] : -1, v = vals[i];
        if (!tl.cls) {
          if (v === null) { out[i] = -1; continue; }
          k = 0;
          while (k < br.length - 2 && v >= br[k + 1]) { k++; }
        }
        out[i] = k < 0 ? -1 : colour(k);
      }
      return out;
    },
    _setColours: function (cls) {
      var k = this.d.colors.length, n = cls.length, counts = new Int32Array(k + 1), i;
      for (i = 0; i < n; i++) { counts[cls[i] + 1]++; }
      var starts = new Int32Array(k + 2);
      for (i = 0; i <= k; i++) { starts[i + 1] = starts[i] + counts[i]; }
      var order = new Int32Array(n), pos = starts.slice(0, k + 1);
      for (i = 0; i < n; i++) { order[pos[cls[i] + 1]++] = i; }
      this.cls = cls; this.order = order; this.starts = starts;
    },
    setPeriod: function (period) {
      this.period = period;
      this._setColours(this._classesFor(period));
      if (this._map) { this._redraw(); }
    },
    onAdd: function (map) {
      if (!map.getPane('rr-hex')) { map.createPane('rr-hex').style.zIndex = 390; }
      this._canvas = L.DomUtil.create('canvas', 'rr-hex-canvas leaflet-zoom-animated');
      this._canvas.style.pointerEvents = 'none';
      this._canvas.style.zIndex = this.d.z || 0;
      map.getPane('rr-hex').appendChild(this._canvas);
      map.on('moveend resize viewreset', this._redraw, this);
      map.on('zoomanim', this._animateZoom, this);
      if (this.d.hover !== false) { RR.hoverables.push(this); }
      RR.map = map;
      this._redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend resize viewreset', this._redraw, this);
      map.off('zoomanim', this._animateZoom, this);
      RR.hoverables = RR.hoverables.filter(function (h) { return h !== this; }, this);
      this.drawn = 0;
      if (this.d.key === 'risk') { RR.hexCount = 0; }
    },
    _animateZoom: function (e) {
      var scale = this._map.getZoomScale(e.zoom);
      var offset = this._map._latLngToNewLayerPoint(this._map.containerPointToLatLng([0, 0]),
        e.zoom, e.center);
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },
    _redraw: function () {
      var map = this._map; if (!map) { return; }
      var size = map.getSize(), c = this._canvas, dpr = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      c.width = size.x * dpr; c.height = size.y * dpr;
      c.style.width = size.x + 'px'; c.style.height = size.y + 'px';
      var ctx = c.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var zoom = map.getZoom(), scale = 256 * Math.pow(2, zoom);
      var p0 = map.project(map.containerPointToLatLng([0, 0]), zoom);
      var g = this.g, d = this.d, seen = new Uint8Array(g.n), drawn = 0;
      var kmin = Math.floor(p0.x / scale) - 1, kmax = Math.floor((p0.x + size.x) / scale) + 1;
      ctx.globalAlpha = d.opacity; ctx.lineJoin = 'round';
      /* Paths are filled in chunks: one path of 10^5 rings makes Skia's software rasteriser
       * take seconds, chunks of a few hundred rings take milliseconds. */
      var CHUNK = 256;
      /* Outline layers (hot/cold spots) stroke each class twice: a white halo, then the
       * class's colour, width and dash, so the line reads on every fill beneath. */
      var outline = d.kind === 'outline', passes = outline ? 2 : 1;
      for (var pass = 0; pass < passes; pass++) {
        for (var ci = 0; ci < this.starts.length - 1; ci++) {
          var a = this.starts[ci], b = this.starts[ci + 1];
          if (a === b || (outline && ci === 0)) { continue; }
          if (outline) {
            var st = d.styles[ci - 1];
            ctx.strokeStyle = pass === 0 ? 'rgba(255,255,255,0.9)' : st.color;
            ctx.lineWidth = pass === 0 ? st.width + 2.5 : st.width;
            ctx.setLineDash(pass === 0 ? [] : st.dash);
          } else {
            ctx.fillStyle = ci === 0 ? d.noDataColor : d.colors[ci - 1];
            ctx.strokeStyle = ci === 0 ? '#616161' : 'rgba(40,40,40,0.55)';
            ctx.lineWidth = ci === 0 ? 1.2 : 0.6;
            ctx.setLineDash(ci === 0 ? [3, 2] : []);
          }
          var rings = 0, wide = false;
          ctx.beginPath();
          for (var q = a; q < b; q++) {
            var i = this.order[q];
            var y0 = g.by0[i] * scale - p0.y, y1 = g.by1[i] * scale - p0.y;
            if (y1 < 0 || y0 > size.y) { continue; }
            for (var k = kmin; k <= kmax; k++) {
              var off = k * scale - p0.x, x0 = g.bx0[i] * scale + off, x1 = g.bx1[i] * scale + off;
              if (x1 < 0 || x0 > size.x) { continue; }
              if (x1 - x0 > 6) { wide = true; }
              var o = g.offsets[i], e = g.offsets[i + 1];
              ctx.moveTo(g.xs[o] * scale + off, g.ys[o] * scale - p0.y);
              for (var j = o + 1; j < e; j++) { ctx.lineTo(g.xs[j] * scale + off, g.ys[j] * scale - p0.y); }
              ctx.closePath();
              if (!seen[i]) { seen[i] = 1; drawn++; }
              if (++rings === CHUNK) {
                if (outline) { ctx.stroke(); } else { ctx.fill(); if (wide) { ctx.stroke(); } }
                ctx.beginPath(); rings = 0; wide = false;
              }
            }
          }
          if (rings) { if (outline) { ctx.stroke(); } else { ctx.fill(); if (wide) { ctx.stroke(); } } }
        }
      }
      ctx.setLineDash([]);
      this.drawn = drawn;
      if (d.key === 'risk') { RR.hexCount = drawn; }
    },
    cellAt: function (latlng) {
      var lat = latlng.lat, lng = ((latlng.lng + 180) % 360 + 360) % 360 - 180;
      for (var r = 0; r < this.resolutions.length; r++) {
        var i = this.index.get(h3.latLngToCell(lat, lng, this.resolutions[r]));
        if (i !== undefined) { return i; }
      }
      return -1;
    },
    card: function (i) {
      var d = this.d, wide = d.kind === 'risk' && !!d.fitted;
      var h = '<div class="rr-card' + (wide ? ' rr-wide' : '') + '"><div class="rr-card-title">' +
        d.title + ' <span class="rr-mono">' + this.ids[i] + '</span></div><table>';
      var observed = d.observed[i] === 1;
      if (d.kind === 'risk') {
        if (!observed) {
          h += row('Risk', 'no data', 'rr-v rr-nodata');
        } else {
          h += row('Risk', fmt(d.risk[i]) + ' / 100 (' + (d.cls[i] >= 0 ? d.labels[d.cls[i]] : 'no class') + ')');
        }
        if (this.period !== null && this.period !== undefined && d.timeline) {
          var tv = d.timeline.risk[this.period][i], pd = d.timeline.present[this.period];
          h += row('Risk in ' + d.timeline.periods[this.period], tv === null ? 'no data' : fmt(tv));
          if (pd) { h += row('Present data', pd + ' as of today (no history that month)'); }
        }
        h += row('Coverage', observed ? 'observed' : 'no data: no observations in this cell',
          observed ? 'rr-v' : 'rr-v rr-nodata');
        if (d.confidence) {
          var c = d.confidence, within = c.bandwidthKm ? ' within ' + fmt(c.bandwidthKm) + ' km' :
            ' within one bandwidth';
          h += row('Confidence', c.labels[c.code[i]] + ' (' + c.near[i] + ' seizure' +
            (c.near[i] === 1 ? '' : 's') + within + ')');
        }
        if (d.uncertainty) { h += uncertaintyRows(d.uncertainty, i, d.labels[d.cls[i]]); }
        if (d.hotspot) { h += hotspotRows(d.hotspot, i); }
        h += '</table>';
        /* With a fitted model the card has two columns: the model (and hot spots) beside the
         * weighted view's points, which then says what it is. */
        if (wide) { h += '<div class="rr-cols"><div class="rr-col">' + fittedRows(d.fitted, i); }
        if (wide) { h += '</div><div class="rr-col"><div class="rr-section-title">weighted view</div>'; }
        h += '<table class="rr-factors"><tr><th>factor</th><th>value</th><th>points</th></tr>';
        d.factors.forEach(function (f) {
          /* A factor that could not observe this cell shows its "missing" text, never a value:
           * "no AIS coverage" is not "0 vessel-hours". */
          var covered = !f.covered || f.covered[i] === 1;
          var value = covered ? fmt(f.values[i]) + (f.unit ? ' ' + f.unit : '') :
            '<span class="rr-missing">' + f.missing + '</span>';
          h += '<tr><td>' + f.label + ' <span class="rr-w">×' + fmt(f.weight) + '</span>' +
            (f.description ? '<div class="rr-desc">' + f.description + '</div>' : '') +
            '</td><td>' + value + '</td><td>' + fmt(f.contrib[i]) + '</td></tr>';
        });
        h += '</table><table>';
        if (d.commodities.length) {
          var parts = d.commodities.map(function (c) { return c.label + ': ' + c.counts[i]; });
          h += row('Seizures', parts.join(', '));
        }
        if (d.latest) { h += row('Latest event', isoDay(d.latest[i])); }
        if (wide) { h += '</table></div></div><table>'; }
      } else {
        h += row(d.valueLabel, fmt(d.values[i]) + (d.unit ? ' ' + d.unit : ''));
      }
      return h + '</table></div>';
    }
  });
  L.routeRiskHexLayer = function (d) { return new L.RouteRiskHexLayer(d); };

  /* Shift an open card so that it lies inside the map and clear of the legend (which sits
   * above the map's panes): a card at the edge is otherwise cut or covered. */
  function keepInside(tip, map) {
    var el = tip.getElement();
    if (!el) { return; }
    var m = map.getContainer().getBoundingClientRect(), r = el.getBoundingClientRect();
    var left = m.left + 4, right = m.right - 4, top = m.top + 4, bottom = m.bottom - 4;
    var legend = document.getElementById('rr-legend');
    if (legend && !legend.hidden) {
      var g = legend.getBoundingClientRect();
      if (g.width && r.bottom > g.top && r.top < g.bottom && g.left - 4 - left >= r.width) {
        right = Math.min(right, g.left - 4);
      }
    }
    var dx = 0, dy = 0;
    if (r.right > right) { dx = right - r.right; }
    if (r.left + dx < left) { dx = left - r.left; }
    if (r.bottom > bottom) { dy = bottom - r.bottom; }
    if (r.top + dy < top) { dy = top - r.top; }
    if (dx || dy) {
      tip.options.offset = [tip.options.offset[0] + dx, tip.options.offset[1] + dy];
      tip.update();
    }
  }

  /* One tooltip for every hexagon layer under the pointer (risk first, then transit). */
  RR.enableHover = function (map) {
    var tip = L.tooltip({direction: 'top', offset: [0, -8], className: 'rr-tooltip', opacity: 0.97});
    var current = null;
    function hits(latlng) {
      var out = [];
      RR.hoverables.forEach(function (layer) {
        var i = layer.cellAt(latlng);
        if (i >= 0) { out.push({layer: layer, i: i}); }
      });
      out.sort(function (a, b) { return (a.layer.d.kind === 'risk' ? 0 : 1) - (b.layer.d.kind === 'risk' ? 0 : 1); });
      return out;
    }
    function key(hs) {
      return hs.map(function (h) { return h.layer.d.key + ':' + h.i + ':' + h.layer.period; }).join('|');
    }
    function content(hs) {
      return hs.map(function (h) { return h.layer.card(h.i); }).join('');
    }
    /* The container's own mousemove, not the map's: Leaflet's canvas renderer (circle markers)
     * re-fires the map's mousemove at most every 32 ms, so the last move of a gesture could
     * leave the card of the cell before.  Over a control no card opens. */
    function close() { if (current) { map.closeTooltip(tip); current = null; } }
    L.DomEvent.on(map.getContainer(), 'mousemove', function (ev) {
      var t = ev.target;
      if (t && t.closest && t.closest('.leaflet-control-container, .leaflet-popup')) { close(); return; }
      var cp = map.mouseEventToContainerPoint(ev), latlng = map.containerPointToLatLng(cp);
      RR.pointer = [cp.x, cp.y];
      var hs = hits(latlng);
      if (!hs.length) { close(); return; }
      var k = key(hs);
      if (k !== current) { tip.setContent(content(hs)); current = k; }
      /* A card is taller than half a small map: open it towards the larger free side. */
      var below = cp.y < map.getSize().y / 2;
      tip.options.direction = below ? 'bottom' : 'top';
      tip.options.offset = below ? [0, 8] : [0, -8];
      tip.setLatLng(latlng);
      if (!map.hasLayer(tip)) { tip.openOn(map); }
      keepInside(tip, map);
    });
    map.on('mouseout', function () { map.closeTooltip(tip); current = null; });
    map.on('click', function (e) {
      var hs = hits(e.latlng);
      if (hs.length) { L.popup({maxWidth: 640}).setLatLng(e.latlng).setContent(content(hs)).openOn(map); }
    });
  };

  function pointLayer(d, makePopup) {
    var group = d.cluster ? L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 45})
      : L.featureGroup();
    var markers = new Array(d.lat.length);
    for (var i = 0; i < d.lat.length; i++) {
      var m = L.circleMarker([d.lat[i], d.lon[i]], {
        radius: 5, weight: 1, color: '#222', fillOpacity: 0.85,
        fillColor: d.colors[d.kind[i]] || '#555'
      });
      m.bindPopup(makePopup.bind(null, i), {maxWidth: 420});
      markers[i] = m;
    }
    if (d.cluster) { group.addLayers(markers); } else { markers.forEach(function (m) { group.addLayer(m); }); }
    RR.layers[d.key] = group;
    return group;
  }

  RR.seizureLayer = function (d) {
    return pointLayer(d, function (i) {
      return '<div class="rr-card"><div class="rr-card-title">Seizure</div><table>' +
        row('Date', d.date[i]) + row('Commodity', d.kinds[d.kind[i]]) +
        row('Quantity', fmt(d.quantity[i])) + row('Agency', d.agency[i]) +
        row('Note', d.note[i]) + '</table></div>';
    });
  };

  RR.eventLayer = function (d) {
    return pointLayer(d, function (i) {
      return '<div class="rr-card"><div class="rr-card-title">' + d.kinds[d.kind[i]] + '</div><table>' +
        row('Vessel', d.vessel[i]) + (d.other[i] ? row('Other vessel', d.other[i]) : '') +
        row('Start', d.start[i]) + row('End', d.end[i]) + row('Duration', fmt(d.hours[i]) + ' h') +
        '</table></div>';
    });
  };

  /* Offline basemap: TopoJSON (Natural Earth 110m) or GeoJSON, drawn in three world copies. */
  RR.basemap = function (map, d) {
    if (!map.getPane('rr-base')) { map.createPane('rr-base').style.zIndex = 250; }
    var land, borders = null;
    if (d.topology) {
      land = topojson.feature(d.topology, d.topology.objects.land);
      borders = topojson.mesh(d.topology, d.topology.objects.countries, function (a, b) { return a !== b; });
    } else {
      land = d.geojson;
    }
    var group = L.featureGroup();
    [-360, 0, 360].forEach(function (shift) {
      var c2l = function (c) { return L.latLng(c[1], c[0] + shift); };
      var opts = {coordsToLatLng: c2l, interactive: false, pane: 'rr-base'};
      group.addLayer(L.geoJSON(land, L.extend({style: {
        color: '#8d99a6', weight: 0.8, fillColor: '#eceff1', fillOpacity: 1
      }}, opts)));
      if (borders) {
        group.addLayer(L.geoJSON(borders, L.extend({style: {color: '#b0bac4', weight: 0.5, fill: false}}, opts)));
      }
    });
    RR.layers.basemap = group;
    return group;
  };

  /* The legend shows a block only while its layer is on the map (and nothing when no block
   * is shown); blocks name their layer's key in data-layer. */
  RR.legendSync = function (map) {
    var legend = document.getElementById('rr-legend');
    if (!legend) { return; }
    var blocks = Array.prototype.slice.call(legend.querySelectorAll('[data-layer]'));
    function sync() {
      var shown = 0;
      blocks.forEach(function (b) {
        var layer = RR.layers[b.getAttribute('data-layer')];
        b.hidden = !(layer && map.hasLayer(layer));
        if (!b.hidden) { shown++; }
      });
      legend.hidden = shown === 0;
    }
    var tracked = new Set(blocks.map(function (b) { return RR.layers[b.getAttribute('data-layer')]; }));
    map.on('layeradd layerremove', function (e) { if (tracked.has(e.layer)) { sync(); } });
    sync();
  };

  /* The side panel sits beside the map: opening it narrows the map (CSS on body), so it
   * never covers the legend, the controls or a card. */
  RR.panelToggle = function (map, open, label) {
    var panel = document.getElementById('rr-panel');
    if (!panel) { return; }
    var button = null;
    function set(on) {
      panel.hidden = !on;
      document.body.classList.toggle('rr-panel-open', on);
      if (button) {
        button.setAttribute('aria-expanded', on ? 'true' : 'false');
        button.classList.toggle('rr-on', on);
      }
      map.invalidateSize({animate: false});
      RR.panelOpen = on;
    }
    var Ctl = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar rr-panel-toggle');
        button = L.DomUtil.create('button', '', div);
        button.type = 'button'; button.id = 'rr-panel-toggle';
        button.innerHTML = label;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(button, 'click', function () { set(panel.hidden); });
        return div;
      }
    });
    new Ctl().addTo(map);
    var close = document.getElementById('rr-panel-close');
    if (close) { close.addEventListener('click', function () { set(false); }); }
    set(!!open);
  };

  RR.timeSlider = function (map, hexLayer, periods) {
    var Ctl = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var div = L.DomUtil.create('div', 'rr-slider leaflet-control');
        var label = L.DomUtil.create('div', 'rr-slider-label', div);
        var input = L.DomUtil.create('input', '', div);
        input.type = 'range'; input.min = 0; input.max = periods.length; input.step = 1;
        input.value = periods.length;
        input.setAttribute('aria-label', 'month');
        /* Which factors a month takes from today (no history then): said under the slider. */
        var note = L.DomUtil.create('div', 'rr-slider-note', div), tl = hexLayer.d.timeline;
        function show() {
          var k = +input.value;
          if (k === periods.length) {
            label.innerHTML = 'Risk: current score';
            note.innerHTML = ''; note.hidden = true;
            hexLayer.setPeriod(null); RR.period = null;
          } else {
            label.innerHTML = 'Risk in ' + periods[k];
            var pd = tl && tl.present ? tl.present[k] : '';
            note.innerHTML = 'one colour scale for all months' +
              (pd ? '; present data: ' + pd : '; data up to this month only');
            note.hidden = false;
            hexLayer.setPeriod(k); RR.period = k;
          }
        }
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(input, 'input change', show);
        show();
        RR.slider = input;
        return div;
      }
    });
    return new Ctl().addTo(map);
  };
}());
