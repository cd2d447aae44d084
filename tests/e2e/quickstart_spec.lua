-- docs/quickstart.md, run as written: every command in it, in order, in a
-- fresh folder, with the real zenml binary first on PATH. The document's
-- conventions, so that what a reader copies is exactly what this spec runs:
--   ```sh          commands, run in order (the folder a `cd` leaves is kept)
--   first line `-- file: PATH` or `# file: PATH`
--                  the block is written to PATH (relative to the folder)
--   ```text right after a ```sh block
--                  lines that block prints, in order; `...` matches anything
local t = require "tests.support"

local DOC = t.src .. "/docs/quickstart.md"

-- The document as a list of { kind = "sh"|"file"|"expect", text, path? }.
local function parse(doc)
  local blocks = {}
  for info, body in doc:gmatch("\n```(%w*)[^\n]*\n(.-)\n```") do
    local path = body:match("^%-%- file: (%S+)") or body:match("^# file: (%S+)")
    if path then
      blocks[#blocks + 1] = { kind = "file", path = path, text = body .. "\n" }
    elseif info == "sh" then
      blocks[#blocks + 1] = { kind = "sh", text = body }
    elseif info == "text" then
      blocks[#blocks + 1] = { kind = "expect", text = body }
    end
  end
  return blocks
end

-- A Lua pattern for one expected line: literal text, `...` for anything.
local function line_pattern(line)
  local parts = {}
  for piece in (line .. "..."):gmatch("(.-)%.%.%.") do
    parts[#parts + 1] = piece:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
  end
  return table.concat(parts, ".-")
end

-- Each expected line must appear in `out`, in order.
local function check_output(out, expected, where)
  local pos = 1
  for line in expected:gmatch("[^\n]+") do
    local s, e = out:find(line_pattern(line), pos)
    assert(s, ("%s: expected a line matching\n  %s\nafter position %d of:\n%s"):format(where,
      line, pos, out))
    pos = e + 1
  end
end

describe("docs/quickstart.md", function()
  after_each(t.cleanup)

  it("runs as written, every command succeeding with the output it shows", function()
    local root = t.tmpdir()
    local bin = root .. "/bin"
    t.sh("mkdir -p " .. t.q(bin) .. " && ln -s " .. t.q(t.zenml) .. " " .. t.q(bin .. "/zenml"))
    local env = "export PATH=" .. t.q(bin) .. ":\"$PATH\" HOME=" .. t.q(root) ..
        " GIT_AUTHOR_NAME=reader GIT_AUTHOR_EMAIL=reader@example.com" ..
        " GIT_COMMITTER_NAME=reader GIT_COMMITTER_EMAIL=reader@example.com; "
    local cwd = root .. "/work"
    t.sh("mkdir -p " .. t.q(cwd))
    local last_out, ran = nil, 0
    for i, b in ipairs(parse(t.slurp(DOC))) do
      local where = ("docs/quickstart.md block %d"):format(i)
      if b.kind == "file" then
        t.sh("mkdir -p \"$(dirname " .. t.q(b.path) .. ")\"", { cwd = cwd })
        t.write(cwd .. "/" .. b.path, b.text)
        last_out = nil
      elseif b.kind == "sh" then
        local state = root .. "/cwd"
        local script = "set -e\n" .. b.text .. "\npwd > " .. t.q(state) .. "\n"
        local out, err, code = t.sh(env .. "bash -c " .. t.q(script) .. " 2>&1", { cwd = cwd })
        assert(code == 0, ("%s failed (exit %s):\n%s\n%s%s"):format(where, tostring(code),
          b.text, out, err))
        cwd = t.slurp(state):match("[^\n]+")
        last_out, ran = out, ran + 1
      elseif b.kind == "expect" then
        assert(last_out, where .. ": an output block must follow a ```sh block")
        check_output(last_out, b.text, where)
      end
    end
    assert.is_true(ran >= 10, "the quickstart should have at least 10 command blocks, found " .. ran)
  end)
end)
