--- zenml.svg: charts as plain SVG text (line charts, heatmaps, DAGs) for
--- `zenml report` and `pipeline graph --svg`. Plain SVG written from Lua
--- needs no JavaScript library, renders the same in every browser and in
--- image viewers, and keeps a report one small self-contained file.
--- Every function returns one `<svg>` element as a string; `standalone`
--- adds the XML namespace a separate .svg file needs (HTML does not).
local M = {}

--- Colours for series and runs, told apart also in grey print (Tableau 10).
M.palette = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" }

--- The colour of the i-th series.
---@param i integer
---@return string
function M.color(i)
  return M.palette[(i - 1) % #M.palette + 1]
end

--- Text escaped for XML and HTML content and attributes.
---@param s any
---@return string
function M.escape(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&#39;" }))
end
local esc = M.escape

local function n(v) return ("%.1f"):format(v) end

local function open(w, h, title, standalone)
  return ('<svg%s width="%d" height="%d" viewBox="0 0 %d %d" role="img" font-family="sans-serif" font-size="11">'
    .. "<title>%s</title>"):format(standalone and ' xmlns="http://www.w3.org/2000/svg"' or "",
    w, h, w, h, esc(title))
end

local function label(x, y, text, anchor, extra)
  return ('<text x="%s" y="%s" text-anchor="%s"%s>%s</text>'):format(n(x), n(y), anchor or "middle",
    extra or "", esc(text))
end

--- About `count` round tick values (steps of 1, 2 or 5 times a power of ten)
--- covering [lo, hi].
---@return number[] ticks, number lo, number hi the rounded range
function M.ticks(lo, hi, count)
  count = count or 5
  if hi == lo then lo, hi = lo - 1, hi + 1 end
  local raw = (hi - lo) / count
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, m in ipairs { 1, 2, 5, 10 } do
    if m * mag >= raw then step = m * mag break end
  end
  local first, last = math.floor(lo / step) * step, math.ceil(hi / step) * step
  local out = {}
  for k = 0, math.floor((last - first) / step + 0.5) do out[#out + 1] = first + k * step end
  return out, first, last
end

local function tick_text(v)
  if math.abs(v) < 1e-12 then return "0" end
  return ("%.4g"):format(v)
end

local function finite(v) return type(v) == "number" and v == v and v > -math.huge and v < math.huge end

--- A line chart: series = {{name, xs, ys, color?, dash?}}; non-finite
--- values break a line. A legend names the series on the right.
---@param o {title: string, xlabel?: string, ylabel?: string, series: table[], width?: integer, height?: integer, standalone?: boolean}
---@return string
function M.line_chart(o)
  local W, H = o.width or 700, o.height or 300
  local L, R, T, B = 56, 220, 24, 40
  local xlo, xhi, ylo, yhi = math.huge, -math.huge, math.huge, -math.huge
  for _, s in ipairs(o.series) do
    for i, x in ipairs(s.xs) do
      local y = s.ys[i]
      if finite(x) and finite(y) then
        xlo, xhi, ylo, yhi = math.min(xlo, x), math.max(xhi, x), math.min(ylo, y), math.max(yhi, y)
      end
    end
  end
  local out = { open(W, H, o.title, o.standalone), label(L + (W - L - R) / 2, 14, o.title, "middle", ' font-weight="bold"') }
  if xlo > xhi then
    out[#out + 1] = label(W / 2, H / 2, "no data") .. "</svg>"
    return table.concat(out)
  end
  local xt, x0, x1 = M.ticks(xlo, xhi, 6)
  local yt, y0, y1 = M.ticks(ylo, yhi, 5)
  local pw, ph = W - L - R, H - T - B
  local function px(x) return L + (x - x0) / (x1 - x0) * pw end
  local function py(y) return T + ph - (y - y0) / (y1 - y0) * ph end
  out[#out + 1] = ('<g stroke="#ddd">')
  for _, y in ipairs(yt) do out[#out + 1] = ('<line x1="%d" x2="%d" y1="%s" y2="%s"/>'):format(L, L + pw, n(py(y)), n(py(y))) end
  out[#out + 1] = "</g>"
  out[#out + 1] = ('<path d="M%d %dV%dH%d" fill="none" stroke="#333"/>'):format(L, T, T + ph, L + pw)
  for _, y in ipairs(yt) do out[#out + 1] = label(L - 4, py(y) + 4, tick_text(y), "end") end
  for _, x in ipairs(xt) do out[#out + 1] = label(px(x), T + ph + 14, tick_text(x)) end
  if o.xlabel then out[#out + 1] = label(L + pw / 2, H - 6, o.xlabel) end
  if o.ylabel then
    out[#out + 1] = label(0, 0, o.ylabel, "middle", (' transform="translate(12 %s) rotate(-90)"'):format(n(T + ph / 2)))
  end
  for k, s in ipairs(o.series) do
    local d, pen = {}, "M"
    for i, x in ipairs(s.xs) do
      local y = s.ys[i]
      if finite(x) and finite(y) then
        d[#d + 1] = pen .. n(px(x)) .. " " .. n(py(y))
        pen = "L"
      else
        pen = "M"
      end
    end
    local color = s.color or M.color(k)
    local dash = s.dash and ' stroke-dasharray="5 3"' or ""
    if #d > 0 then
      out[#out + 1] = ('<path d="%s" fill="none" stroke="%s" stroke-width="1.8"%s><title>%s</title></path>'):format(
        table.concat(d), color, dash, esc(s.name))
    end
    local ly = T + 4 + (k - 1) * 16
    out[#out + 1] = ('<path d="M%d %sh18" stroke="%s" stroke-width="2"%s/>'):format(W - R + 10, n(ly), color, dash)
    local name = #s.name > 30 and s.name:sub(1, 29) .. "…" or s.name
    out[#out + 1] = label(W - R + 32, ly + 4, name, "start")
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end

--- A heatmap of a matrix (a confusion matrix): values[r][c] for row labels
--- `rows` and column labels `cols`; each cell shaded by its share of the
--- largest value and labelled with its value.
---@param o {title: string, rows: string[], cols: string[], values: number[][], rlabel?: string, clabel?: string, standalone?: boolean}
---@return string
function M.heatmap(o)
  local cell, L, T = 40, 90, 56
  local W = L + cell * #o.cols + 10
  local H = T + cell * #o.rows + 10
  local max = 0
  for r = 1, #o.rows do
    for c = 1, #o.cols do
      local v = (o.values[r] or {})[c]
      if finite(v) then max = math.max(max, v) end
    end
  end
  local out = { open(W, H, o.title, o.standalone), label(W / 2, 14, o.title, "middle", ' font-weight="bold"') }
  if o.clabel then out[#out + 1] = label(L + cell * #o.cols / 2, 28, o.clabel) end
  if o.rlabel then out[#out + 1] = label(4, T - 6, o.rlabel, "start") end
  for c, name in ipairs(o.cols) do
    out[#out + 1] = label(L + (c - 0.5) * cell, T - 6, #name > 6 and name:sub(1, 5) .. "…" or name)
  end
  for r, name in ipairs(o.rows) do
    out[#out + 1] = label(L - 4, T + (r - 0.5) * cell + 4, #name > 12 and name:sub(1, 11) .. "…" or name, "end")
    for c = 1, #o.cols do
      local v = (o.values[r] or {})[c]
      local share = finite(v) and max > 0 and v / max or 0
      -- white to the palette's blue
      local shade = ("#%02x%02x%02x"):format(math.floor(255 - share * (255 - 0x4e)),
        math.floor(255 - share * (255 - 0x79)), math.floor(255 - share * (255 - 0xa7)))
      out[#out + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#999"><title>%s → %s: %s</title></rect>'):format(
        L + (c - 1) * cell, T + (r - 1) * cell, cell, cell, shade, esc(name), esc(o.cols[c]), esc(v == nil and "" or tick_text(v)))
      if v ~= nil then
        out[#out + 1] = label(L + (c - 0.5) * cell, T + (r - 0.5) * cell + 4, tick_text(v), "middle",
          share > 0.6 and ' fill="#fff"' or "")
      end
    end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end

--- A parallel-coordinates plot: one vertical axis per column (numbers on a
--- linear scale, text evenly spaced in sorted order), one line per item
--- across them. axes = {{name, values = {v per item}}}; items = {{name, color?}}.
--- An item without a value on an axis has a gap there.
---@param o {title: string, axes: table[], items: table[], standalone?: boolean}
---@return string
function M.parallel(o)
  local gap, L, T, B = 150, 60, 58, 30
  local W = L * 2 + gap * math.max(#o.axes - 1, 1) + 160
  local H = 300
  local ph = H - T - B
  local out = { open(W, H, o.title, o.standalone), label(L, 14, o.title, "start", ' font-weight="bold"') }
  local scales = {}
  for a, axis in ipairs(o.axes) do
    local x = L + (a - 1) * gap
    local nums, texts, seen = true, {}, {}
    local lo, hi = math.huge, -math.huge
    for i = 1, #o.items do
      local v = axis.values[i]
      if v ~= nil then
        if finite(v) then lo, hi = math.min(lo, v), math.max(hi, v) else nums = false end
        local t = type(v) == "number" and tick_text(v) or tostring(v)
        if not seen[t] then seen[t], texts[#texts + 1] = true, t end
      end
    end
    local y
    if nums and lo == hi then -- one value: in the middle
      y = function() return T + ph / 2 end
      out[#out + 1] = label(x + 4, T + ph / 2 - 3, tick_text(lo), "start")
    elseif nums and lo < hi then
      y = function(v) return T + ph - (v - lo) / (hi - lo) * ph end
      out[#out + 1] = label(x, T + ph + 14, tick_text(lo))
      out[#out + 1] = label(x, T - 6, tick_text(hi))
    else
      table.sort(texts)
      local at = {}
      for k, t in ipairs(texts) do
        at[t] = #texts == 1 and T + ph / 2 or T + ph - (k - 1) / (#texts - 1) * ph
        out[#out + 1] = label(x + 4, at[t] - 3, #t > 16 and t:sub(1, 15) .. "…" or t, "start")
      end
      y = function(v) return at[type(v) == "number" and tick_text(v) or tostring(v)] end
    end
    scales[a] = { x = x, y = y }
    out[#out + 1] = ('<path d="M%d %dV%d" stroke="#333"/>'):format(x, T, T + ph)
    out[#out + 1] = label(x, T - 22, axis.name, "middle", ' font-weight="bold"')
  end
  for i, item in ipairs(o.items) do
    local d, pen = {}, "M"
    for a, axis in ipairs(o.axes) do
      local v = axis.values[i]
      local y = v ~= nil and scales[a].y(v)
      if y then
        d[#d + 1] = pen .. scales[a].x .. " " .. n(y)
        pen = "L"
      else
        pen = "M"
      end
    end
    if #d > 0 then
      out[#out + 1] = ('<path d="%s" fill="none" stroke="%s" stroke-width="1.6" stroke-opacity="0.8"><title>%s</title></path>'):format(
        table.concat(d), item.color or M.color(i), esc(item.name))
    end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end

--- Histograms overlaid: series = {{name, edges (bins + 1), counts (bins),
--- color?}}, each drawn as translucent bars of its share of the rows on a
--- shared x axis, so splits of different sizes compare.
---@param o {title: string, series: table[], width?: integer, height?: integer, standalone?: boolean}
---@return string
function M.histogram(o)
  local W, H = o.width or 300, o.height or 170
  local L, R, T, B = 40, 10, 22, 34
  local xlo, xhi, ymax = math.huge, -math.huge, 0
  for _, s in ipairs(o.series) do
    local total = 0
    for _, c in ipairs(s.counts) do total = total + c end
    s.total = total
    xlo, xhi = math.min(xlo, s.edges[1]), math.max(xhi, s.edges[#s.edges])
    for _, c in ipairs(s.counts) do if total > 0 then ymax = math.max(ymax, c / total) end end
  end
  local out = { open(W, H, o.title, o.standalone), label(L, 14, o.title, "start", ' font-weight="bold"') }
  if xlo > xhi or ymax == 0 then return table.concat(out) .. label(W / 2, H / 2, "no data") .. "</svg>" end
  if xlo == xhi then xlo, xhi = xlo - 0.5, xhi + 0.5 end
  local pw, ph = W - L - R, H - T - B
  local function px(x) return L + (x - xlo) / (xhi - xlo) * pw end
  local function py(y) return T + ph - y / ymax * ph end
  for k, s in ipairs(o.series) do
    local color = s.color or M.color(k)
    for b, c in ipairs(s.counts) do
      if c > 0 then
        local x1, x2 = px(s.edges[b]), px(s.edges[b + 1])
        if x2 - x1 < 1 then x2 = x1 + 1 end
        local y = py(c / s.total)
        out[#out + 1] = ('<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.45" stroke="%s">'
          .. "<title>%s: %s to %s: %d</title></rect>"):format(n(x1), n(y), n(x2 - x1), n(T + ph - y), color,
          color, esc(s.name), tick_text(s.edges[b]), tick_text(s.edges[b + 1]), c)
      end
    end
  end
  out[#out + 1] = ('<path d="M%d %dV%dH%d" fill="none" stroke="#333"/>'):format(L, T, T + ph, L + pw)
  out[#out + 1] = label(L, T + ph + 13, tick_text(xlo))
  out[#out + 1] = label(L + pw, T + ph + 13, tick_text(xhi))
  out[#out + 1] = label(L - 3, T + 8, ("%.0f%%"):format(ymax * 100), "end")
  local lx = L
  for k, s in ipairs(o.series) do
    out[#out + 1] = ('<rect x="%d" y="%d" width="10" height="10" fill="%s" fill-opacity="0.45" stroke="%s"/>'):format(
      lx, H - 12, s.color or M.color(k), s.color or M.color(k))
    out[#out + 1] = label(lx + 13, H - 3, ("%s (%d)"):format(s.name, s.total), "start")
    lx = lx + 20 + 7 * (#s.name + 6)
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end

--- The layer of each step: 0 without deps, else one more than its deepest dep.
local function layers(steps)
  local layer, byName = {}, {}
  for _, s in ipairs(steps) do byName[s.name] = s end
  local function depth(name, seen)
    if layer[name] then return layer[name] end
    seen[name] = true
    local d = 0
    for _, up in ipairs(byName[name] and byName[name].deps or {}) do
      if byName[up] and not seen[up] then d = math.max(d, depth(up, seen) + 1) end
    end
    seen[name] = nil
    layer[name] = d
    return d
  end
  for _, s in ipairs(steps) do depth(s.name, {}) end
  return layer
end

local STATUS_STYLE = {
  cached = ' fill="#eee" stroke="#888" stroke-dasharray="4 3"',
  completed = ' fill="#e8f0f8" stroke="#4e79a7"',
  failed = ' fill="#fde8e8" stroke="#e15759" stroke-width="2"',
}

--- A pipeline run as a DAG, left to right: steps = {{name, class, status,
--- deps}} (each after its deps); a cached step is grey with a dashed border,
--- a failed one red.
---@param o {title: string, steps: table[], standalone?: boolean}
---@return string
function M.dag(o)
  local BW, BH, GX, GY, T = 150, 48, 50, 16, 26
  local layer = layers(o.steps)
  -- an edge that skips a layer arcs over the boxes between: room above them
  for _, s in ipairs(o.steps) do
    for _, up in ipairs(s.deps or {}) do
      if layer[up] and layer[s.name] - layer[up] > 1 then T = 50 end
    end
  end
  local cols, pos, nlayers, most = {}, {}, 0, 0
  for _, s in ipairs(o.steps) do
    local l = layer[s.name]
    cols[l] = (cols[l] or 0) + 1
    pos[s.name] = { x = 10 + l * (BW + GX), y = T + (cols[l] - 1) * (BH + GY) }
    nlayers, most = math.max(nlayers, l + 1), math.max(most, cols[l])
  end
  local W = math.max(20 + nlayers * BW + (nlayers - 1) * GX, 200)
  local H = T + most * (BH + GY) + 4
  local out = { open(W, H, o.title, o.standalone), label(10, 14, o.title, "start", ' font-weight="bold"') }
  out[#out + 1] = '<g fill="none" stroke="#666">'
  local heads = {}
  for _, s in ipairs(o.steps) do
    local b = pos[s.name]
    for _, up in ipairs(s.deps or {}) do
      local a = pos[up]
      if a and layer[s.name] - layer[up] > 1 then
        local x1, x2, y1, y2 = a.x + BW / 2, b.x + BW / 3, a.y, b.y
        local top = math.min(y1, y2) - 30
        out[#out + 1] = ('<path d="M%s %sC%s %s %s %s %s %s"/>'):format(n(x1), n(y1), n(x1), n(top), n(x2), n(top), n(x2), n(y2 - 6))
        heads[#heads + 1] = ('<path d="M%s %sl-4 -7h8z"/>'):format(n(x2), n(y2))
      elseif a then
        local x1, y1, x2, y2 = a.x + BW, a.y + BH / 2, b.x, b.y + BH / 2
        local mx = (x1 + x2) / 2
        out[#out + 1] = ('<path d="M%s %sC%s %s %s %s %s %s"/>'):format(n(x1), n(y1), n(mx), n(y1), n(mx), n(y2), n(x2 - 6), n(y2))
        heads[#heads + 1] = ('<path d="M%s %sl-7 -4v8z"/>'):format(n(x2), n(y2))
      end
    end
  end
  out[#out + 1] = "</g>"
  out[#out + 1] = '<g fill="#666">' .. table.concat(heads) .. "</g>"
  for _, s in ipairs(o.steps) do
    local p = pos[s.name]
    out[#out + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" rx="6"%s><title>%s (%s): %s</title></rect>'):format(
      p.x, p.y, BW, BH, STATUS_STYLE[s.status] or ' fill="#fff" stroke="#999"', esc(s.name),
      esc(s.class or "?"), esc(s.status or "not run"))
    out[#out + 1] = label(p.x + BW / 2, p.y + 18, s.name, "middle", ' font-weight="bold"')
    out[#out + 1] = label(p.x + BW / 2, p.y + 34, (s.class or "?") .. " · " .. (s.status or "not run"))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end

return M
