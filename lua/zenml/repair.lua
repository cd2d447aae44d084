--- What `zenml verify` finds beyond the artifact store, and what
--- `zenml verify --repair` can change about it: objects that are corrupt or
--- lost (the executions that produced them become `invalid`, never a cache
--- hit again), run YAMLs a crash left under their temporary name, and stale
--- temporary files in the store.
local M = {}

-- Run YAMLs waiting under their temporary name: { rel, file, run_id }.
local function partials(repo)
  local out = {}
  local dir = repo.root .. "/pipelines"
  local p = io.popen("find '" .. dir:gsub("'", "'\\''")
    .. "' -maxdepth 1 -type f -name '.*.yaml.partial' 2>/dev/null")
  for path in p:lines() do
    local name = path:match("([^/]+)$")
    local file = name:match("^%.(.+)%.partial$")
    out[#out + 1] = { rel = "pipelines/" .. name, file = file,
      run_id = file:match("_([%d]+%-[%d]+%-[%d]+%-%x+)%.yaml$") }
  end
  p:close()
  table.sort(out, function(a, b) return a.rel < b.rel end)
  return out
end

--- Problems of run YAMLs left under their temporary name by a crash.
---@return {what: string, problem: string}[]
function M.check_partials(repo)
  local problems, db = {}, repo:meta()
  for _, p in ipairs(partials(repo)) do
    if p.run_id and db:run(p.run_id) then
      problems[#problems + 1] = { what = p.rel, problem = ("run %s was recorded but its YAML "
        .. "was not put in place (verify --repair puts it in place)"):format(p.run_id) }
    else
      problems[#problems + 1] = { what = p.rel, problem = "left by a run that was never "
        .. "recorded (verify --repair removes it)" }
    end
  end
  return problems
end

-- The artifact a store problem is about: a tree's entry names its tree.
local function lost_artifact(p)
  return p.problem:match("of tree (sha256:%x+)%)$") or p.what
end

--- Repair what can be repaired. `store_problems` are the problems verify and
--- check found in the artifact store. Returns one line per change.
---@param repo table
---@param store_problems {what: string, problem: string}[]
---@return string[] changes
function M.repair(repo, store_problems)
  local changes, store, db = {}, repo:store(), repo:meta()
  local function say(fmt, ...) changes[#changes + 1] = fmt:format(...) end
  local lost, seen = {}, {}
  for _, p in ipairs(store_problems) do
    if p.problem:match("^corrupt") or p.problem:match("^unreadable") then
      local path = store:path(p.what)
      if path and os.remove(path) then say("%s: removed (%s)", p.what, p.problem) end
    end
    local id = lost_artifact(p)
    if id:match("^sha256:") and not seen[id] then
      seen[id] = true
      lost[#lost + 1] = id
    end
  end
  local stamp = os.date("!%Y-%m-%dT%H:%M:%SZ")
  for _, id in ipairs(lost) do
    local n = db:artifact_lost(id, ("output %s was lost from the artifact store "
      .. "(found by zenml verify --repair, %s)"):format(id, stamp))
    if n > 0 then
      say("%s: lost; %d execution%s that made it marked invalid (never a cache hit again)", id, n,
        n == 1 and "" or "s")
    end
  end
  for _, p in ipairs(partials(repo)) do
    local final = repo.root .. "/pipelines/" .. p.file
    if p.run_id and db:run(p.run_id) and not require("zenml.repo").exists(final) then
      local ok, err = os.rename(repo.root .. "/" .. p.rel, final)
      if ok then say("pipelines/%s: put in place for run %s", p.file, p.run_id)
      else say("%s: cannot put in place: %s", p.rel, err) end
    elseif os.remove(repo.root .. "/" .. p.rel) then
      say("%s: removed (no recorded run has it)", p.rel)
    end
  end
  local freed = store:gc { temps_only = true }
  if freed and freed.temps > 0 then
    say("artifact store: removed %d stale temporary file%s (%d bytes)", freed.temps,
      freed.temps == 1 and "" or "s", freed.bytes)
  end
  return changes
end

return M
