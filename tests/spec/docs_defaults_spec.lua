-- docs/steps.md states every trainer parameter's default as `name` (value):
-- each one the code gives a default must say the code's value, so the
-- guide and the steps cannot drift apart again (FeedForward's lr was 0.01
-- in one place and 0.001 in another).
local train = require "zenml.steps.trainer"

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- `name` (value, ...) pairs of the table rows of a step.
local function documented(doc, step)
  local out = {}
  for row in doc:gmatch("\n| `" .. step .. "` |([^\n]*)") do
    for name, value in row:gmatch("`([%w_]+)` %(([^)]*)%)") do
      out[name] = value:match('^"[^"]*"') or value:match("^{[^}]*}") or value:match("^[^,:; ]+")
    end
  end
  return out
end

local function text_of(v)
  if type(v) == "string" then return '"' .. v .. '"' end
  if type(v) == "table" then return "{" .. table.concat(v, ", ") .. "}" end
  return v
end

describe("docs/steps.md trainer defaults", function()
  local doc = slurp("docs/steps.md")
  for _, step in ipairs { "FeedForward", "Logistic", "Linear", "XGBoost" } do
    it("match the code for " .. step, function()
      local doc_values, checked = documented(doc, step), 0
      for name, spec in pairs(train[step].params) do
        if spec.default ~= nil then
          local want = text_of(spec.default)
          local got = doc_values[name]
          assert.is_not_nil(got, step .. ": no default documented for " .. name)
          if type(want) == "number" then
            assert.equal(want, tonumber(got), step .. "." .. name)
          else
            assert.equal(want, got, step .. "." .. name)
          end
          checked = checked + 1
        end
      end
      assert.is_true(checked >= 2)
    end)
  end
end)
