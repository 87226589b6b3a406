/* lotusar operator map. Everything comes from this server (no CDN):
 *  - basemap: Natural Earth land (coastlines), countries and Vietnam's provinces (/map/basemap/*),
 *    drawn on a canvas below the data;
 *  - data: STAC footprints (click: the item, its downloads, zoom), flood-map XYZ tiles, plan
 *    features and fleet ground tracks / station masks, tasking acquisitions, all under one time slider;
 *  - flood statistics per province (/map/flood-stats/{item});
 *  - tasking: draw an area, pick mode and window, list the feasible passes (/map/feasibility) and
 *    submit the request (POST /tasking/requests, X-API-Key), whose planned acquisitions are drawn.
 * The page reports its state in #status data-* attributes (read by the browser test). */
(function () {
  "use strict";
  var map = L.map("map", { worldCopyJump: true, minZoom: 1, maxZoom: 18, attributionControl: false }).setView([16, 106], 5);
  map.createPane("basemap").style.zIndex = 150;  // under the tile pane (200): flood tiles stay on top
  var baseCanvas = L.canvas({ pane: "basemap", padding: 0.5 });
  map.createPane("footprints").style.zIndex = 420;  // product footprints take clicks before plan overlays
  var statusEl = document.getElementById("status");
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    footprints: [], floodLayers: [], floodTiles: 0, planFeatures: 0, fleetFeatures: 0, tmin: null, tmax: null,
    basemap: {}, provinces: [], provinceFlood: {}, floodStatsRows: 0,
    trackFeats: [], acqFeats: [], errors: [], drawing: false, vertices: [], aoi: null, opportunities: null, request: null
  };

  // ------------------------------------------------------------------ controls: scale, cursor
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
  var Coords = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () { var d = L.DomUtil.create("div", "cursor-coords"); d.id = "cursor-coords"; d.textContent = "—"; return d; }
  });
  new Coords().addTo(map);
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function provinceAt(lon, lat) {
    for (var k = 0; k < state.provinces.length; k++) {
      var p = state.provinces[k], b = p.bbox;
      if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3]) continue;
      for (var m = 0; m < p.polys.length; m++) {
        var poly = p.polys[m], hit = inRing(lon, lat, poly[0]);
        for (var h = 1; hit && h < poly.length; h++) if (inRing(lon, lat, poly[h])) hit = false;
        if (hit) return p.name;
      }
    }
    return null;
  }
  map.on("mousemove", function (e) {
    var ll = e.latlng.wrap(), prov = provinceAt(ll.lng, ll.lat);
    $("cursor-coords").textContent = (ll.lat >= 0 ? "N " : "S ") + Math.abs(ll.lat).toFixed(4) + "°  " +
      (ll.lng >= 0 ? "E " : "W ") + Math.abs(ll.lng).toFixed(4) + "°" + (prov ? "  · " + prov : "");
  });

  // --------------------------------------------------------------------------- layers
  var land = L.geoJSON(null, { renderer: baseCanvas, interactive: false,
    style: { color: "#5b6f7f", weight: 1, fillColor: "#f2efe6", fillOpacity: 1 } }).addTo(map);
  var countries = L.geoJSON(null, { renderer: baseCanvas, interactive: false,
    style: { color: "#8a8a8a", weight: 0.8, dashArray: "4 3", fill: false } }).addTo(map);
  function provinceStyle(f) {
    var fr = state.provinceFlood[f.properties.name];
    return { color: "#b07aa1", weight: 0.8, fillColor: "#1e64e6", fillOpacity: fr ? Math.min(0.15 + 2 * fr, 0.6) : 0, fill: !!fr };
  }
  var provinces = L.geoJSON(null, { renderer: baseCanvas, interactive: false, style: provinceStyle }).addTo(map);
  var fpLayer = L.geoJSON(null, {
    pane: "footprints",
    style: function () { return { color: "#ff8c00", weight: 3, fill: true, fillOpacity: 0, className: "footprint" }; },
    onEachFeature: function (f, layer) {
      layer.on("click", function (e) { if (!state.drawing) openItem(f, e.latlng); });
    }
  }).addTo(map);
  var tracks = L.geoJSON(null, { interactive: false, style: { color: "#d4a000", weight: 2, className: "ground-track" } }).addTo(map);
  var masks = L.geoJSON(null, { interactive: false, style: { color: "#1f9d55", weight: 1.5, fillOpacity: 0.04, className: "station-mask" } }).addTo(map);
  var acqs = L.geoJSON(null, {
    style: function (f) {
      var mine = f.properties.request && state.request && f.properties.request === state.request.id;
      return { color: "#c04cfd", weight: mine ? 3 : 2, dashArray: mine ? null : "4 3", fillOpacity: mine ? 0.15 : 0.04,
               className: "acquisition" + (mine ? " request-acquisition" : "") };
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip((p.satellite || "") + " " + (p.mode || "") + "<br>" + (p.start || "") + (p.incidence_deg ? "<br>incidence " + Number(p.incidence_deg).toFixed(1) + "°" : ""));
    }
  }).addTo(map);
  var floodGroup = L.layerGroup().addTo(map);
  var drawLayer = L.layerGroup().addTo(map);

  function timeOf(p) {
    var s = p.datetime || p.start_datetime || p.start;
    return s ? Date.parse(s) : null;
  }
  function report() {
    var d = statusEl.dataset;
    d.footprints = String(fpLayer.getLayers().length);
    d.floodLayers = String(state.floodLayers.length);
    d.floodTiles = String(state.floodTiles);
    d.planFeatures = String(state.planFeatures);
    d.fleetFeatures = String(state.fleetFeatures);
    d.basemapLand = String(state.basemap.land || 0);
    d.basemapCountries = String(state.basemap.countries || 0);
    d.basemapProvinces = String(state.basemap.provinces || 0);
    d.floodStatsRows = String(state.floodStatsRows);
    d.vertices = String(state.vertices.length);
    d.aoi = state.aoi ? "true" : "false";
    d.opportunities = state.opportunities === null ? "" : String(state.opportunities);
    d.requestId = state.request ? state.request.id : "";
    d.requestStatus = state.request ? state.request.status : "";
    d.requestAcquisitions = state.request ? String((state.request.acquisitions || []).length) : "0";
    d.errors = String(state.errors.length);
    statusEl.textContent = fpLayer.getLayers().length + " footprints · " + state.floodLayers.length + " flood maps · " +
      state.planFeatures + " plan features · " + state.fleetFeatures + " fleet tracks/masks" +
      (state.errors.length ? " · not shown: " + state.errors.join("; ") : "");
  }
  function fetchJSON(url, opt) {
    return fetch(url, opt || {}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error((j && (j.description || j.detail)) || (url + " → " + r.status));
        return j;
      });
    });
  }
  function postJSON(url, body, headers) {
    return fetchJSON(url, { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers || {}), body: JSON.stringify(body) });
  }
  async function searchAll(body, maxPages) {
    var out = [], page = 0, req = body;
    while (req && page < maxPages) {
      var fc = await postJSON("/search", req);
      out = out.concat(fc.features);
      var next = (fc.links || []).filter(function (l) { return l.rel === "next"; })[0];
      req = next && next.body ? next.body : null;
      page++;
    }
    return out;
  }
  function esc(s) { return String(s === undefined || s === null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  // -------------------------------------------------------------------- time slider
  function sliderTime() {
    return state.tmin === null ? Infinity : state.tmin + (state.tmax - state.tmin) * ($("slider").value / 1000);
  }
  function applyTime() {
    var t = sliderTime(), before = function (p) { var ft = timeOf(p); return ft === null || ft <= t + 1; };
    $("slider-label").textContent = isFinite(t) ? new Date(t).toISOString().slice(0, 16) + "Z" : "—";
    fpLayer.clearLayers();
    if ($("show-footprints").checked) state.footprints.forEach(function (f) { if (before(f.properties)) fpLayer.addData(f); });
    tracks.clearLayers();
    state.trackFeats.forEach(function (f) { if (before(f.properties)) tracks.addData(f); });
    acqs.clearLayers();
    state.acqFeats.forEach(function (f) { if (before(f.properties)) acqs.addData(f); });
    state.floodLayers.forEach(function (fl) {
      var on = $("show-flood").checked && (fl.time === null || fl.time <= t + 1);
      if (on && !floodGroup.hasLayer(fl.layer)) floodGroup.addLayer(fl.layer);
      if (!on && floodGroup.hasLayer(fl.layer)) floodGroup.removeLayer(fl.layer);
    });
    report();
  }
  function extendTimes(feats) {
    feats.forEach(function (f) {
      var ft = timeOf(f.properties || {});
      if (ft === null || isNaN(ft)) return;
      state.tmin = state.tmin === null ? ft : Math.min(state.tmin, ft);
      state.tmax = state.tmax === null ? ft : Math.max(state.tmax, ft);
    });
  }

  // ------------------------------------------------------------- item popup: STAC item, downloads
  function openItem(f, latlng) {
    var self = (f.links || []).filter(function (l) { return l.rel === "self"; })[0];
    var rows = Object.keys(f.assets || {}).map(function (k) {
      var a = f.assets[k];
      return "<li><a class='asset-download' href='" + esc(a.href) + "' download>" + esc(k) + "</a> <small>" + esc(a.type || "") + "</small></li>";
    }).join("");
    var html = "<div class='item-popup' data-item='" + esc(f.id) + "'><b>" + esc(f.id) + "</b><br>" + esc(f.collection) + "<br>" +
      esc(f.properties.datetime || f.properties.start_datetime) + "<br>" +
      (self ? "<a class='item-json' href='" + esc(self.href) + "' target='_blank'>STAC item</a> · " : "") +
      "<a href='#' class='zoom-to'>zoom to</a><ul class='assets'>" + rows + "</ul></div>";
    var pop = L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(html).openOn(map);
    var el = pop.getElement().querySelector(".zoom-to");
    el.addEventListener("click", function (ev) { ev.preventDefault(); map.closePopup(); map.fitBounds(L.geoJSON(f).getBounds().pad(0.05), { paddingBottomRight: [320, 0] }); });
  }

  // ------------------------------------------------------------------ flood maps and statistics
  async function addFlood(item) {
    var keys = Object.keys(item.assets || {});
    var isTiff = function (k) { var t = item.assets[k].type || ""; return t.indexOf("tiff") >= 0 || /\.tiff?$/i.test(item.assets[k].href || ""); };
    var key = ["classes", "data", "flood"].filter(function (k) { return item.assets[k] && isTiff(k); })[0] ||
      keys.filter(function (k) { return isTiff(k) && (item.assets[k].roles || []).indexOf("data") >= 0; })[0] ||
      keys.filter(isTiff)[0];
    if (!key) return;
    var tj = await fetchJSON("/tiles/" + encodeURIComponent(item.id) + "/" + encodeURIComponent(key) + "/tilejson.json?collection=" + encodeURIComponent(item.collection));
    var b = tj.bounds;
    var layer = L.tileLayer(tj.tiles[0], {
      bounds: L.latLngBounds([b[1], b[0]], [b[3], b[2]]), maxNativeZoom: Math.max(tj.maxzoom, 1), maxZoom: 18,
      opacity: 0.9, className: "flood-tiles", zIndex: 5
    });
    layer.on("tileload", function () { state.floodTiles++; report(); });
    state.floodLayers.push({ layer: layer, time: timeOf(item.properties), item: item.id });
    var st = await fetchJSON("/map/flood-stats/" + encodeURIComponent(item.id) + "?collection=" + encodeURIComponent(item.collection) + "&asset=" + encodeURIComponent(key));
    showFloodStats(st);
  }
  function showFloodStats(st) {
    var box = $("flood-stats");
    if (state.floodStatsRows === 0) box.innerHTML = "";
    var html = "<div class='stats-item'><b>" + esc(st.item) + "</b> <small>" + esc(st.datetime) + "</small>" +
      "<table class='stats'><tr><th>province / country</th><th>flooded km²</th><th title='flooded share of the part of the unit the product imaged'>% of imaged</th></tr>";
    st.units.forEach(function (u) {
      html += "<tr class='stats-row' data-name='" + esc(u.name) + "'><td>" + esc(u.name) + (u.level === "country" ? " <small>(country)</small>" : "") +
        "</td><td class='n'>" + u.flooded_km2.toFixed(1) + "</td><td class='n'>" + (100 * u.flooded_fraction).toFixed(1) + "</td></tr>";
      if (u.level === "province") state.provinceFlood[u.name] = Math.max(state.provinceFlood[u.name] || 0, u.flooded_fraction);
    });
    box.insertAdjacentHTML("beforeend", html + "</table></div>");
    state.floodStatsRows += st.units.length;
    provinces.setStyle(provinceStyle);
    report();
  }

  // -------------------------------------------------------------------------- basemap
  async function loadBasemap() {
    var names = ["land", "countries", "provinces"], layers = { land: land, countries: countries, provinces: provinces };
    var fcs = await Promise.all(names.map(function (n) { return fetchJSON("/map/basemap/" + n + ".geojson"); }));
    names.forEach(function (n, i) { layers[n].addData(fcs[i]); state.basemap[n] = fcs[i].features.length; });
    state.provinces = fcs[2].features.map(function (f) {
      var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates, bb = [180, 90, -180, -90];
      polys.forEach(function (p) { p[0].forEach(function (c) {
        bb[0] = Math.min(bb[0], c[0]); bb[1] = Math.min(bb[1], c[1]); bb[2] = Math.max(bb[2], c[0]); bb[3] = Math.max(bb[3], c[1]);
      }); });
      return { name: f.properties.name, code: f.properties.id, polys: polys, bbox: bb };
    });
  }

  // -------------------------------------------------------------------------- tasking
  function setDrawing(on) {
    state.drawing = on;
    $("draw-btn").disabled = on;
    $("draw-finish").disabled = !on;
    L.DomUtil[on ? "addClass" : "removeClass"](map.getContainer(), "drawing");
    if (on) { map.doubleClickZoom.disable(); map.closePopup(); } else map.doubleClickZoom.enable();
  }
  function redrawArea() {
    drawLayer.clearLayers();
    if (state.vertices.length) {
      var shape = state.aoi ? L.polygon(state.vertices, { color: "#e6194b", weight: 2, fillOpacity: 0.15, className: "draw-area" })
        : L.polyline(state.vertices, { color: "#e6194b", weight: 2, dashArray: "5 4", className: "draw-line" });
      drawLayer.addLayer(shape);
      state.vertices.forEach(function (v) { drawLayer.addLayer(L.circleMarker(v, { radius: 3, color: "#e6194b", className: "draw-vertex" })); });
    }
    $("draw-info").textContent = state.aoi ? "area of " + state.vertices.length + " vertices" : (state.vertices.length ? state.vertices.length + " vertices…" : "no area");
    report();
  }
  map.on("click", function (e) {
    if (!state.drawing) return;
    state.vertices.push(e.latlng);
    redrawArea();
  });
  $("draw-btn").addEventListener("click", function () { state.vertices = []; state.aoi = null; state.opportunities = null; setDrawing(true); redrawArea(); });
  $("draw-finish").addEventListener("click", function () {
    if (state.vertices.length < 3) { $("draw-info").textContent = "an area needs 3 vertices or more"; return; }
    var ring = state.vertices.map(function (v) { return [Number(v.lng.toFixed(6)), Number(v.lat.toFixed(6))]; });
    ring.push(ring[0]);
    state.aoi = { type: "Polygon", coordinates: [ring] };
    setDrawing(false);
    redrawArea();
  });
  $("draw-clear").addEventListener("click", function () { state.vertices = []; state.aoi = null; setDrawing(false); redrawArea(); });

  function requestBody() {
    if (!state.aoi) throw new Error("draw an area first");
    return {
      aoi: state.aoi, mode: $("task-mode").value, earliest_start: $("task-start").value.trim(), deadline: $("task-end").value.trim(),
      priority: Number($("task-priority").value), look_side: $("task-look").value,
      incidence_min_deg: Number($("task-inc-min").value), incidence_max_deg: Number($("task-inc-max").value)
    };
  }
  function say(id, html, cls) { $(id).innerHTML = "<div class='" + (cls || "") + "'>" + html + "</div>"; }
  $("feas-btn").addEventListener("click", async function () {
    try {
      say("feas-out", "checking…");
      var r = await postJSON("/map/feasibility", requestBody());
      state.opportunities = r.opportunities.length;
      if (!r.feasible) { say("feas-out", "not feasible: " + esc(r.reason), "infeasible"); report(); return; }
      say("feas-out", "<b>" + r.opportunities.length + " feasible passes</b><ul id='opportunities'>" + r.opportunities.map(function (o) {
        return "<li class='opportunity'>" + esc(o.satellite) + " " + esc(o.start.slice(0, 16)) + "Z " + esc(o.direction) + " " + esc(o.look_side) +
          " · incidence " + o.incidence_min_deg.toFixed(1) + "–" + o.incidence_max_deg.toFixed(1) + "°</li>";
      }).join("") + "</ul>");
    } catch (e) { say("feas-out", "error: " + esc(e.message), "error"); }
    report();
  });
  function showRequest(t) {
    state.request = t;
    state.acqFeats = state.acqFeats.filter(function (f) { return f.properties.request !== t.id; });
    (t.acquisitions || []).forEach(function (a) {
      if (!a.footprint) return;
      var props = Object.assign({}, a, { kind: "acquisition", request: t.id });
      delete props.footprint;
      state.acqFeats.push({ type: "Feature", geometry: a.footprint, properties: props });
    });
    extendTimes(state.acqFeats);
    var html = "<b>request " + esc(t.id) + ": <span id='request-status'>" + esc(t.status) + "</span></b>";
    if (t.reason) html += "<br><span class='reason'>" + esc(t.reason) + "</span>";
    html += "<ul>" + (t.acquisitions || []).map(function (a) {
      return "<li class='planned-acquisition'>" + esc(a.satellite) + " " + esc(String(a.start).slice(0, 19)) + "Z " + esc(a.mode) +
        (a.incidence_deg !== undefined ? " · incidence " + Number(a.incidence_deg).toFixed(1) + "°" : "") + "</li>";
    }).join("") + "</ul>";
    say("task-out", html);
    if ((t.acquisitions || []).length) {
      var b = L.geoJSON({ type: "FeatureCollection", features: state.acqFeats.filter(function (f) { return f.properties.request === t.id; }) }).getBounds();
      if (state.aoi) b.extend(L.geoJSON(state.aoi).getBounds());
      map.fitBounds(b.pad(0.3), { paddingBottomRight: [320, 0] });
    }
    applyTime();
  }
  $("submit-btn").addEventListener("click", async function () {
    try {
      say("task-out", "submitting…");
      var key = $("api-key").value.trim(), hdr = key ? { "X-API-Key": key } : {};
      var t = await postJSON("/tasking/requests", requestBody(), hdr);
      for (var i = 0; i < 30 && t.status === "received"; i++) {  // a server that plans in the background
        await new Promise(function (res) { setTimeout(res, 1000); });
        t = await fetchJSON("/tasking/requests/" + encodeURIComponent(t.id), { headers: hdr });
      }
      $("slider").value = 1000;
      showRequest(t);
    } catch (e) { say("task-out", "error: " + esc(e.message), "error"); }
    report();
  });

  // ------------------------------------------------------------------------------ load
  function defaultView(feats) {
    var focus = feats.filter(function (f) { return f.collection !== "lotusar-plan"; });
    var b = L.geoJSON({ type: "FeatureCollection", features: focus.length ? focus : feats }).getBounds();
    if (!b.isValid()) return;
    // at least 10° across, so the ground tracks and station masks around the products show
    var c = b.getCenter(), h = Math.max(b.getNorth() - b.getSouth(), 10) / 2, w = Math.max(b.getEast() - b.getWest(), 10) / 2;
    map.fitBounds(L.latLngBounds([c.lat - h, c.lng - w], [c.lat + h, c.lng + w]), { paddingBottomRight: [320, 0], animate: false });
  }
  async function loadModes() {  // the fleet's SAR modes: names and incidence ranges come from the fleet file
    var r = await fetchJSON("/map/modes"), sel = $("task-mode");
    state.modes = {};
    r.modes.forEach(function (m) {
      state.modes[m.name] = m;
      var o = document.createElement("option");
      o.value = m.name;
      o.textContent = m.name + " (" + m.swath_km + " km, " + m.resolution_m + " m)";
      sel.appendChild(o);
    });
    var pick = function () {
      var m = state.modes[sel.value];
      if (m) { $("task-inc-min").value = m.incidence_min_deg; $("task-inc-max").value = m.incidence_max_deg; }
    };
    sel.addEventListener("change", pick);
    pick();
  }
  async function load() {
    try {
      await Promise.all([loadBasemap(), loadModes()]);
      report();
      var feats = await searchAll({ limit: 500 }, 10);
      state.footprints = feats;
      extendTimes(feats);
      var floods = feats.filter(function (f) {
        return f.collection === "lotusar-flood" || f.properties["lotusar:product_type"] === "flood" ||
          /flood/i.test(f.collection || "") || /flood/i.test(f.id || "");
      });
      var layers = await fetchJSON("/map/layers.geojson");
      layers.features.forEach(function (f) {
        var k = f.properties.kind;
        if (k === "ground_track" || k === "pass" || k === "downlink") state.trackFeats.push(f);
        else if (k === "station_mask") masks.addData(f);
        else if (k === "acquisition") state.acqFeats.push(f);
      });
      state.planFeatures = layers.features.length;
      if (state.tmax !== null) {  // the fleet's ground tracks and station masks around the latest product
        var t0 = new Date(state.tmax - 50 * 60000).toISOString(), t1 = new Date(state.tmax + 50 * 60000).toISOString();
        try {  // a page without fleet layers is still useful: say why they are missing
          var fl = await fetchJSON("/map/fleet.geojson?start=" + encodeURIComponent(t0) + "&end=" + encodeURIComponent(t1));
          fl.features.forEach(function (f) { if (f.properties.kind === "ground_track") state.trackFeats.push(f); else masks.addData(f); });
          state.fleetFeatures = fl.features.length;
        } catch (e) { state.errors.push("fleet layers (" + e.message + ")"); }
        $("task-start").value = $("task-start").value || new Date(state.tmax).toISOString().slice(0, 19) + "Z";
        $("task-end").value = $("task-end").value || new Date(state.tmax + 2 * 86400000).toISOString().slice(0, 19) + "Z";
      }
      extendTimes(state.trackFeats.concat(state.acqFeats));
      for (var i = 0; i < floods.length; i++) {
        try { await addFlood(floods[i]); } catch (e) { state.errors.push(floods[i].id + " (" + e.message + ")"); }
      }
      applyTime();
      defaultView(feats);
      statusEl.dataset.ready = "true";
      report();
    } catch (e) {
      statusEl.textContent = "error: " + e.message;
      statusEl.dataset.ready = "error";
    }
  }
  $("slider").addEventListener("input", applyTime);
  ["show-footprints", "show-flood"].forEach(function (id) { $(id).addEventListener("change", applyTime); });
  [["show-tracks", tracks], ["show-masks", masks], ["show-acq", acqs], ["show-land", land], ["show-countries", countries],
   ["show-provinces", provinces]].forEach(function (p) {
    $(p[0]).addEventListener("change", function (e) { if (e.target.checked) map.addLayer(p[1]); else map.removeLayer(p[1]); });
  });
  window.lotusarMap = { map: map, state: state, applyTime: applyTime };
  load();
})();
