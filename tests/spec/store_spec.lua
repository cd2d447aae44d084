-- zenml.store: what a user of the artifact store sees from Lua.
local zenml = require "zenml"

local function tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p '" .. path .. "'"))
  return path
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end

local ABC = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

describe("zenml.store", function()
  local root, st

  before_each(function()
    root = tmpdir()
    st = assert(zenml.store.open(root .. "/store"))
  end)

  after_each(function()
    st:close()
    os.execute("chmod -R u+w '" .. root .. "' && rm -rf '" .. root .. "'")
  end)

  it("round-trips bytes under their sha256 id, read-only", function()
    local id = st:put("abc")
    assert.equal(ABC, id)
    assert.equal("abc", st:read(id))
    assert.is_true(st:exists(id))
    assert.equal(3, st:size(id))
    local path = st:path(id)
    assert.equal(root .. "/store/objects/ba/" .. ABC:sub(10), path)
    assert.equal("444\n", sh("stat -c %a '" .. path .. "'"))
    assert.equal(id, st:put("abc")) -- idempotent
    local bin = string.rep("\0\1\2\255", 1000)
    assert.equal(bin, st:read(st:put(bin)))
  end)

  it("stores files and reports missing ones as nil, message", function()
    write(root .. "/in.txt", "abc")
    assert.equal(ABC, st:put_file(root .. "/in.txt"))
    local id, err = st:put_file(root .. "/missing.txt")
    assert.is_nil(id)
    assert.equal("cannot open " .. root .. "/missing.txt: No such file or directory", err)
    local zero = "sha256:" .. string.rep("0", 64)
    local data, err2 = st:read(zero)
    assert.is_nil(data)
    assert.equal("artifact " .. zero .. " not found in the store", err2)
    assert.is_false(st:exists(zero))
  end)

  it("closes once, by close() or <close>, and refuses use afterwards", function()
    local other
    do
      local s2 <close> = assert(zenml.store.open(root .. "/other"))
      other = s2
      assert.equal(ABC, s2:put("abc"))
    end
    assert.has_error(function() other:put("abc") end, "attempt to use a closed store")
    other:close() -- again: nothing happens
    local db = assert(zenml.meta.open("sqlite:" .. root .. "/m.db"))
    db:close()
    db:close()
    assert.has_error(function() db:runs() end, "metadata store is closed")
    collectgarbage() -- the collector's release after close() does nothing either
  end)

  it("tells not found from other failures by a code, returned or raised", function()
    local errors = require "zenml.errors"
    local id, err, code = st:put_file(root .. "/missing.txt")
    assert.same({ nil, "notfound" }, { id, code })
    assert.equal("cannot open " .. root .. "/missing.txt: No such file or directory", err)
    local _, _, code2 = st:read("sha256:" .. string.rep("0", 64))
    assert.equal("notfound", code2)
    local _, _, code3 = st:put_file(root)
    assert.not_equal("notfound", code3)
    local ok, raised = pcall(st.read, st, "sha256:XYZ")
    assert.is_false(ok)
    assert.equal("invalid artifact id 'sha256:XYZ'", raised) -- still the message string
    assert.equal("invalid", errors.code(raised), raised)
    local _, lua_err = pcall(error, "not from the core", 0)
    assert.is_nil(errors.code(lua_err))
    assert.equal("invalid", require("zenml._core").last_error_code())
  end)

  it("rejects malformed ids with the exact message", function()
    for _, bad in ipairs { "../x", "/etc/passwd", "sha256:XYZ", "sha256:" .. string.rep("a", 63),
                           "sha256:" .. string.rep("A", 64) } do
      local msg = "invalid artifact id '" .. bad .. "'"
      assert.has_error(function() st:read(bad) end, msg)
      assert.has_error(function() st:path(bad) end, msg)
      assert.has_error(function() st:exists(bad) end, msg)
    end
    assert.has_error(function() st:put(42) end, "store:put: argument 1 (data): expected string, got number")
    assert.equal(ABC, st:put("abc")) -- still usable
  end)

  it("finds a corrupted object with verify", function()
    local good = st:put("good")
    local id = st:put("abc")
    assert.same({}, st:verify())
    local path = st:path(id)
    os.execute("chmod u+w '" .. path .. "' && printf 'axc' > '" .. path .. "'")
    local problems = st:verify()
    assert.equal(1, #problems)
    assert.equal(id, problems[1].what)
    assert.equal("corrupt: content hash is sha256:" .. zenml.hash.string("axc"),
      problems[1].problem)
    assert.same({ { what = "sha256:" .. string.rep("1", 64), problem = "missing" } },
      st:check { good, "sha256:" .. string.rep("1", 64) })
  end)

  it("round-trips a nested tree and refuses '..' in a manifest", function()
    local src = root .. "/src"
    os.execute("mkdir -p '" .. src .. "/a/b'")
    write(src .. "/top.txt", "top\n")
    write(src .. "/a/b/deep.txt", "deep\n")
    write(src .. "/a/run.sh", "#!/bin/sh\n")
    os.execute("chmod 755 '" .. src .. "/a/run.sh'")
    local id = assert(st:put_tree(src))
    assert.is_true(st:is_tree(id))
    assert.equal(id, st:put_tree(src))
    assert.truthy(st:read(id):find("^zenml%-tree 1\n644 5 sha256:%x+ a/b/deep.txt\n"))
    assert.is_true(st:checkout(id, root .. "/out"))
    assert.equal("", sh("diff -r '" .. src .. "' '" .. root .. "/out' 2>&1"))
    assert.equal("755\n", sh("stat -c %a '" .. root .. "/out/a/run.sh'"))
    local blob = st:put("evil")
    local evil = st:put("zenml-tree 1\n644 4 " .. blob .. " ../escape\n")
    local ok, err = st:checkout(evil, root .. "/out2")
    assert.is_nil(ok)
    assert.equal("refusing unsafe path '../escape' in tree " .. evil, err)
    assert.is_nil(io.open(root .. "/escape"))
  end)

  it("collects garbage, keeping trees' entries, with a dry run first", function()
    local src = root .. "/src"
    os.execute("mkdir -p '" .. src .. "'")
    write(src .. "/f.txt", "kept by the tree")
    local tree = st:put_tree(src)
    local keep = st:put("keep")
    local drop = st:put("drop!")
    local dry = st:gc { keep = { tree, keep }, dry_run = true }
    assert.same({ objects = 1, temps = 0, bytes = 5 }, dry)
    assert.is_true(st:exists(drop))
    assert.same(dry, st:gc { keep = { tree, keep } })
    assert.is_false(st:exists(drop))
    assert.is_true(st:exists(keep))
    assert.equal("kept by the tree", st:read(st:put("kept by the tree")))
    assert.has_error(function() st:gc { keep = { "../x" } } end, "invalid artifact id '../x'")
    assert.has_error(function() st:gc() end,
      "store:gc: argument 1 (opts): expected table, got nil")
  end)

  it("commits a batch of 10,000 small puts", function()
    local function now() return tonumber(sh("date +%s.%N")) end
    local t0 = now()
    st:batch_begin()
    local first, last
    for i = 1, 10000 do
      last = st:put("small artifact " .. i)
      first = first or last
    end
    assert.is_false(st:exists(first))
    assert.is_true(st:batch_commit())
    print(string.format("\n10,000 batched puts: %.2f s", now() - t0))
    assert.is_true(st:exists(first))
    assert.equal("small artifact 10000", st:read(last))
  end)

  it("writes behind: readable at once, in place after settle", function()
    assert.is_true(st:write_behind(60000))
    local id = st:put("later")
    local final = root .. "/store/objects/" .. id:sub(8, 9) .. "/" .. id:sub(10)
    assert.is_nil(io.open(final))
    assert.is_true(st:exists(id))
    assert.equal("later", st:read(id))
    assert.is_true(st:settle())
    assert.is_truthy(io.open(final)):close()
    assert.is_true(st:write_behind(0))
    assert.has_error(function() st:write_behind(-1) end,
      "store:write_behind: argument 1 (max_ms): expected an integer >= 0, got -1")
  end)

  it("lends a queued object to a reader: its row selections map it after the commit", function()
    local steplib = require "zenml.steplib"
    assert.is_true(st:write_behind(60000))
    local base = st:put_frame(zenml.frame.from_table { a = { 1.5, 2.5, 3.5, 4.5 } })
    local lent = st:read_path(base)
    assert.truthy(lent:find("/.tmp-", 1, true)) -- not settled for the reader
    local f = assert(zenml.frame.read(lent, { store = st, id = base }))
    -- selections of a stored frame map it only when their values are
    -- asked for: here after the commit put it in place
    local parts = steplib.partition_cuts(f, "a", { "low", "high" }, { 3 })
    assert.is_true(st:settle())
    assert.equal(st:path(base), st:read_path(base))
    assert.same({ 3.5, 4.5 }, parts.high:col("a"):to_table())
    -- a stored selection of a queued base reads the same way
    local sel = st:put_frame(parts.low)
    local low = assert(zenml.frame.read(st:read_path(sel), { store = st, id = sel }))
    assert.same({ 1.5, 2.5 }, low:col("a"):to_table())
    assert.truthy(io.open(lent)):close() -- kept until the store closes
    assert.has_error(function() st:read_path("sha256:nope") end)
    assert.is_true(st:write_behind(0))
  end)

  it("takes a frame's memory over as it stores it: the same id, the same values", function()
    local n, a, b, c = 300000, {}, {}, {}
    for i = 1, n do
      a[i], b[i] = i * 0.5, (i % 7 == 0) and zenml.null or i
      c[i] = (i % 3 == 0) and "three" or ("n" .. (i % 11))
    end
    local function make() return zenml.frame.from_table { a = a, b = b, c = c } end
    local want = st:put_frame(make())
    local other <close> = assert(zenml.store.open(root .. "/other"))
    local f = make()
    assert.equal(want, other:put_frame(f, { handover = true }))
    -- the frame now reads the stored copy
    assert.equal(n, f:nrow())
    assert.same(a, f:col("a"):to_table())
    assert.same(make():col("b"):to_table(), f:col("b"):to_table())
    assert.same(c, f:col("c"):to_table())
    assert.equal(want, other:put_frame(f)) -- and stores as itself again
    -- content the store has already is not written again
    local g = make()
    assert.equal(want, other:put_frame(g, { handover = true }))
    assert.same(c, g:col("c"):to_table())
    assert.has_error(function() st:put_frame(make(), 5) end,
      "store:put_frame: argument 2 (opts): expected table, got number")
  end)

  it("adopts a big frame built in its temp files, or copies it if the file went away", function()
    local steplib = require "zenml.steplib"
    assert.is_true(st:spill_frames())
    local n, a, b, c = 1000000, {}, {}, {}
    for i = 1, n do a[i], b[i], c[i] = i * 0.5, i * 0.25, -i * 1.0 end
    local f = zenml.frame.from_table { a = a, b = b, c = c } -- 24 MB: above the spill size
    local want = st:put_frame(f)
    local function part() return steplib.partition_cuts(f, "a", { "below", "all" }, { 0 }).all end
    local function temps()
      return sh("ls -A '" .. root .. "/store/tmp' | wc -l"):gsub("%s", "")
    end
    local p1 = part()
    assert.equal("1", temps()) -- built in place
    assert.equal(want, st:put_frame(p1))
    assert.equal("0", temps()) -- adopted
    -- other bytes, whose spill file is gone (as a gc would take it, hours
    -- later) before the frame is stored: the frame is still mapped and is
    -- stored by copying, under the id another store gives it
    for i = 1, n do c[i] = i * 1.0 end
    f = zenml.frame.from_table { a = a, b = b, c = c }
    local other <close> = assert(zenml.store.open(root .. "/other"))
    local want2 = other:put_frame(f)
    local p2 = part()
    os.execute("rm -f '" .. root .. "/store/tmp/'.tmp-*")
    assert.equal(want2, st:put_frame(p2))
    assert.is_true(st:exists(want2))
    assert.equal(n, p2:nrow())
  end)

  it("knows which objects this process stored from its own bytes", function()
    local id = st:put("written here")
    assert.is_true(st:wrote(id))
    -- an object that arrives another way (another process, a copy) is not
    -- taken on trust: a frame read of it checks every column
    local other = assert(zenml.store.open(root .. "/other"))
    local f = zenml.frame.from_table({ x = { 1.5, 2.5, 3.5 } })
    local fid = assert(other:put_frame(f))
    other:close()
    local src = sh(("find '%s/other/objects' -type f"):format(root)):match("[^\n]+")
    local hex = fid:sub(8)
    local dest = ("%s/store/objects/%s/%s"):format(root, hex:sub(1, 2), hex:sub(3))
    assert(os.execute(("cp '%s' '%s'"):format(src, dest)))
    assert.is_true(st:exists(fid))
    assert.is_false(st:wrote(fid))
    assert.is_false(st:wrote("sha256:" .. ("0"):rep(64)))
    assert.is_false(st:wrote("not an id"))
    -- a damaged copy: caught when checked, not when trusted
    os.execute(("chmod u+w '%s' && printf 'Z' | dd of='%s' bs=1 seek=%d conv=notrunc 2>/dev/null")
      :format(dest, dest, sh(("stat -c %%s '%s'"):format(dest)) - 9))
    local g, err = zenml.frame.read(st:path(fid))
    assert.is_nil(g)
    assert.matches("checksum mismatch in column 'x'", err)
    assert.is_not_nil(zenml.frame.read(st:path(fid), { trusted = true }))
  end)
end)
