--- Built-in preprocessing, on zenml.steps.BasePreprocesserStep: a transform
--- fitted on the training split only (zenml.ml.fit_transform, in C), saved as
--- the `transform` artifact and applied to every split, so training and
--- serving apply the very same bytes.
---
---   Standard { features = { ... }, labels = { "y" }, overwrite = { col = { method = "log" } } }
---
--- Defaults by column type (fitted on the train split):
---   number  fill mean, then scale_to_z_score
---   string  fill "", then one_hot when the train split has at most
---           `one_hot_max` (32) distinct values, else vocabulary
---   bool    0/1 (no_transform)
local zenml = require "zenml"

local M = {}

--- The method names a user writes -> the kernel's names.
local METHODS = {
  scale_to_z_score = "z_score", z_score = "z_score",
  scale_by_min_max = "min_max", min_max = "min_max",
  scale_to_0_1 = "to_0_1", to_0_1 = "to_0_1",
  log = "log", bucketize = "bucketize",
  vocabulary = "vocabulary", one_hot = "one_hot", hash_strings = "hash_strings",
  no_transform = "no_transform",
}
local NUMERIC = { z_score = true, min_max = true, to_0_1 = true, log = true, bucketize = true }
local FILLS = { mean = true, median = true, min = true, max = true, constant = true }
local OPTION_KEYS = { method = true, transform = true, fill = true, value = true, n = true,
  top_k = true, oov_buckets = true, range = true }

local sorted_keys = require("zenml.tables").sorted_keys

local function list_of_strings(what)
  return function(v)
    for _, x in ipairs(v) do
      if type(x) ~= "string" then return ("expects a list of column names, got a %s in it"):format(type(x)) end
    end
    if next(v) ~= nil and #v == 0 then return "expects a list of column names" end
    if what == "labels" and #v == 0 then return "expects at least one label column" end
  end
end

local function check_overwrite(map)
  for col, o in pairs(map) do
    if type(col) ~= "string" or type(o) ~= "table" then
      return "expects column names mapped to { method = ..., fill = ... }"
    end
    for k in pairs(o) do
      if not OPTION_KEYS[k] then
        return ("for column '%s': unknown option '%s'; options are: fill, method, n, oov_buckets, range, top_k, value")
          :format(col, tostring(k))
      end
    end
    local m = o.method or o.transform
    if m ~= nil and not METHODS[m] then
      return ("for column '%s': unknown method '%s'; methods are: %s"):format(col, tostring(m),
        "bucketize, hash_strings, log, no_transform, one_hot, scale_by_min_max, scale_to_0_1, scale_to_z_score, vocabulary")
    end
    if o.fill ~= nil and type(o.fill) ~= "number" and not FILLS[o.fill] then
      return ("for column '%s': unknown fill '%s'; fills are: constant, max, mean, median, min"):format(
        col, tostring(o.fill))
    end
  end
end

--- The standard preprocesser: defaults by type, per-column `overwrite`.
local Standard = zenml.steps.BasePreprocesserStep:extend("Standard")
M.Standard = Standard
Standard.params = {
  features = { type = "list", check = list_of_strings("features") },
  labels = { type = "list", default = {}, check = list_of_strings() },
  overwrite = { type = "map", default = {}, check = check_overwrite },
  one_hot_max = { type = "integer", default = 32 },
}

local function fail(self, fmt, ...)
  require("zenml.errors").user("%s: " .. fmt, self:class_name(), ...)
end

-- Column name -> type of the training frame, and the names in order.
local function schema_of(frame)
  local types, names = {}, frame:names()
  for j, t in ipairs(frame:types()) do types[names[j]] = t end
  return types, names
end

--- The features: the `features` parameter, or every column but the labels.
function Standard:feature_names(train)
  if self.params.features and #self.params.features > 0 then return self.params.features end
  local labels, out = {}, {}
  for _, l in ipairs(self.params.labels) do labels[l] = true end
  for _, n in ipairs(train:names()) do if not labels[n] then out[#out + 1] = n end end
  return out
end

--- The default options of a feature of type `ty` (see the module comment).
function Standard:default_options(train, name, ty)
  if ty == "string" then
    local distinct = train:col(name):unique():nrow()
    return { method = distinct <= self.params.one_hot_max and "one_hot" or "vocabulary",
      fill = { constant = "" } }
  elseif ty == "bool" then
    return { method = "no_transform", fill = 0 }
  end
  return { method = "z_score", fill = "mean" }
end

-- The kernel's options for one feature: defaults, then the user's overwrite.
function Standard:options(train, name, ty)
  local o = self:default_options(train, name, ty)
  local user = self.params.overwrite[name]
  if user then
    local m = user.method or user.transform
    if m then
      o.method = METHODS[m]
      if ty == "string" and NUMERIC[o.method] and train:col(name):count() == 0 then
        fail(self, "feature '%s' has no values in the training split (every cell is null); %s needs numbers",
          name, m)
      elseif ty == "string" and NUMERIC[o.method] then
        fail(self, "feature '%s' is a string column; %s needs numbers (use one_hot, vocabulary or hash_strings)",
          name, m)
      end
    end
    if user.fill == "constant" then
      o.fill = { constant = user.value ~= nil and user.value or (ty == "string" and "" or 0) }
    elseif user.fill ~= nil then
      o.fill = user.fill
    end
    o.n, o.top_k, o.oov_buckets, o.range = user.n, user.top_k, user.oov_buckets, user.range
  end
  if ty == "string" and NUMERIC[o.method] then
    fail(self, "feature '%s' is a string column; %s needs numbers", name, o.method)
  end
  return o
end

function Standard:check_columns(train, names)
  local types, all = schema_of(train)
  for _, n in ipairs(names) do
    if not types[n] then
      fail(self, "column '%s' not found; columns are: %s%s", n, table.concat(all, ", "),
        require("zenml.errors").did_you_mean(n, all))
    end
  end
  return types
end

--- The transform spec for zenml.ml.fit_transform.
function Standard:spec(train)
  local features = self:feature_names(train)
  local labels = self.params.labels
  local types = self:check_columns(train, labels)
  self:check_columns(train, features)
  for name in pairs(self.params.overwrite) do
    if not types[name] then
      fail(self, "overwrite names column '%s', which is not a feature", name)
    end
  end
  local spec = {}
  for _, name in ipairs(features) do spec[name] = self:options(train, name, types[name]) end
  return { features = spec, labels = labels }
end

function Standard:fit(ctx, train)
  return zenml.ml.fit_transform(train, self:spec(train))
end

return M
