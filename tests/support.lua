--- Helpers for end-to-end specs: run the real zenml binary, make throwaway
--- folders and git repositories.
local support = {}

support.zenml = os.getenv("ZENML_BIN") or "build/zenml"
support.src = os.getenv("ZENML_SRC") or "."

--- Quote a string for the shell.
function support.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end
support.slurp = slurp

--- Write a file (creating nothing else).
function support.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Run a shell command; returns stdout, stderr, exit status.
---@param cmd string
---@param opts? {cwd?: string, stdin?: string}
function support.sh(cmd, opts)
  opts = opts or {}
  local out, err = os.tmpname(), os.tmpname()
  local full = cmd .. " >" .. out .. " 2>" .. err
  if opts.stdin then
    local input = os.tmpname()
    support.write(input, opts.stdin)
    full = full .. " <" .. input
  else
    full = full .. " </dev/null"
  end
  if opts.cwd then full = "cd " .. support.q(opts.cwd) .. " && " .. full end
  local _, _, code = os.execute(full)
  local o, e = slurp(out), slurp(err)
  os.remove(out)
  os.remove(err)
  return o, e, code
end

--- Run zenml with arguments (a string, already quoted as needed).
function support.zenml_run(args, opts)
  return support.sh(support.q(support.zenml) .. " " .. args, opts)
end

--- A fresh empty folder, removed by support.cleanup().
local made = {}
function support.tmpdir()
  local p = assert(io.popen("mktemp -d /tmp/zenml-test-XXXXXX")):read("l")
  made[#made + 1] = p
  return p
end

--- A fresh git repository (no commits) with an identity set.
function support.git_repo()
  local dir = support.tmpdir()
  local _, err, code = support.sh("git init -q -b main . && git config user.email t@example.com"
    .. " && git config user.name tester", { cwd = dir })
  assert(code == 0, err)
  return dir
end

function support.cleanup()
  for _, p in ipairs(made) do os.execute("rm -rf " .. support.q(p)) end
  made = {}
end

return support
