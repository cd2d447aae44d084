--- What the recorded runs in pipelines/ need to run again from their YAML
--- alone: the bytes of each pinned source (a git blob, or the artifact-store
--- copy of a file that was uncommitted), and whatever their built-in steps
--- name (a datasource version's snapshot, the model of a training run).
--- `zenml gc` keeps all of it; `zenml verify` checks it, YAML by YAML.
local docs = require "zenml.engine.doc"

local M = {}

---@class zenml.Need
---@field what string e.g. "the source of module 'touch' (touch@ab12...)"
---@field artifact? string an artifact id the run needs from the store
---@field git? string a git blob id the run needs from git
---@field problem? string why the need is unmet before any store is asked

--- The YAML files of recorded runs: pipelines/*.yaml and every yaml_path
--- the metadata store knows, each once, sorted, relative to the root.
---@return string[]
function M.yaml_files(repo)
  local seen, out = {}, {}
  local function add(rel)
    if rel and not seen[rel] and require("zenml.repo").exists(repo.root .. "/" .. rel) then
      seen[rel] = true
      out[#out + 1] = rel
    end
  end
  local dir = repo.root .. "/pipelines"
  local p = io.popen("find '" .. dir:gsub("'", "'\\''")
    .. "' -maxdepth 1 -type f \\( -name '*.yaml' -o -name '*.yml' \\) 2>/dev/null")
  for path in p:lines() do add("pipelines/" .. path:match("([^/]+)$")) end
  p:close()
  for _, r in ipairs(repo:meta():runs {}) do add(r.yaml_path) end
  table.sort(out)
  return out
end

-- The bytes of each module pinned under `sources:`: from the store when the
-- file was uncommitted (its copy is what a re-run loads), else from git.
local function source_needs(doc, out)
  local names = {}
  for name in pairs(doc.sources or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local rec = doc.sources[name]
    local pin = type(rec) == "table" and tostring(rec.pin or "") or ""
    local what = ("the source of module '%s' (%s)"):format(name, pin)
    if type(rec.artifact) == "string" then
      -- a re-run loads the stored copy, or the same blob if git has it by now
      out[#out + 1] = { what = what, artifact = rec.artifact, git = pin:match("@(%x+)$") }
    elseif pin:match("@sha256:%x+$") then
      out[#out + 1] = { what = what, artifact = pin:match("@(sha256:%x+)$") }
    elseif not pin:match("@zenml%-") then
      local sha = pin:match("@(%x+)$")
      out[#out + 1] = sha and { what = what, git = sha }
        or { what = what, problem = "whose pin is not module@<git blob id>" }
    end
  end
end

-- What built-in steps name outside the YAML: a step class may define
-- `needs(params, repo)` returning {what=, artifact=|problem=} records.
-- Repository steps are not loaded (that would run user code, at whichever
-- version the work tree has); their needs are their sources.
local function step_needs(repo, doc, out)
  local names = {}
  for name in pairs(doc.steps) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local s = doc.steps[name]
    if tostring(s.source or ""):match("@zenml%-") then
      local ok, mod = pcall(require, s.module)
      local cls = ok and type(mod) == "table" and (rawget(mod, "__name") == s.class and mod
        or mod[s.class]) or nil
      if type(cls) == "table" and type(cls.needs) == "function" then
        for _, n in ipairs(cls.needs(s.params or {}, repo)) do out[#out + 1] = n end
      end
    end
  end
end

--- Everything the YAML file `rel` needs; raises when it cannot be read.
---@return zenml.Need[]
---@return table doc the parsed YAML
function M.of_yaml(repo, rel)
  local doc = docs.load(repo.root .. "/" .. rel)
  local out = {}
  source_needs(doc, out)
  step_needs(repo, doc, out)
  return out, doc
end

--- The artifacts every recorded YAML needs (for gc). A YAML that cannot be
--- read stops it: what it needs is unknown, so nothing may be removed.
---@return string[]|nil ids
---@return string|nil message
function M.artifacts(repo)
  local ids = {}
  for _, rel in ipairs(M.yaml_files(repo)) do
    local ok, needs, doc = pcall(M.of_yaml, repo, rel)
    if not ok then
      return nil, ("cannot tell what %s needs: %s; fix or remove it first"):format(rel,
        tostring(needs):gsub("^" .. repo.root:gsub("%p", "%%%0") .. "/", ""))
    end
    -- A store that does not know a recorded run was replaced or damaged: what
    -- it calls unreferenced may be that run's outputs.
    if type(doc.run_id) == "string" and not repo:meta():run(doc.run_id) then
      return nil, ("%s records run %s, which the metadata store does not know; "
        .. "restore the metadata database, or move that YAML out of pipelines/"):format(rel,
        doc.run_id)
    end
    for _, n in ipairs(needs) do
      if n.artifact then ids[#ids + 1] = n.artifact end
    end
  end
  return ids
end

-- Why one need is unmet, or nil. `memo` remembers answers across YAMLs.
local function unmet(repo, n, memo)
  if n.problem then return n.problem end
  local function ask(key, fn)
    if memo[key] == nil then memo[key] = fn() or false end
    return memo[key] or nil
  end
  local in_git = n.git and function()
    return not repo:git():read_blob(n.git) and "which does not have it" or nil
  end
  if not n.artifact then return ask("git:" .. n.git, in_git) end
  local why = ask(n.artifact, function()
    local p = repo:store():check({ n.artifact })[1]
    return p and (p.what == n.artifact and ("which is " .. p.problem)
      or ("whose entry %s is %s"):format(p.what, p.problem))
  end)
  if why and in_git and not ask("git:" .. n.git, in_git) then return nil end
  return why
end

--- One problem {what = YAML, problem = text} per unmet need of every
--- recorded YAML (and per YAML that cannot be read).
---@return {what: string, problem: string}[]
function M.check(repo)
  local problems, memo = {}, {}
  for _, rel in ipairs(M.yaml_files(repo)) do
    local ok, needs = pcall(M.of_yaml, repo, rel)
    if not ok then
      problems[#problems + 1] = { what = rel, problem = "cannot be read: " .. tostring(needs) }
    else
      for _, n in ipairs(needs) do
        local why = unmet(repo, n, memo)
        if why then
          local from = n.artifact and (" from the artifact store as " .. n.artifact)
            or n.git and " from git" or ""
          problems[#problems + 1] = { what = rel, problem = ("needs %s%s, %s"):format(n.what,
            from, why) }
        end
      end
    end
  end
  return problems
end

return M
