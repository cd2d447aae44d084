# The repository every fault test starts from (sourced by the tests):
# make_repo DIR makes a git repository at DIR with a folder datasource, an
# archive datasource and a chain of steps, committed and `zenml init`ed.
make_repo() {
  local dir=$1
  mkdir -p "$dir/steps" "$dir/corpus/ham" "$dir/corpus/spam"
  (
    cd "$dir"
    git init -q -b main . && git config user.email t@example.com && git config user.name tester
    for i in 1 2 3 4; do
      printf 'hello %s\n' "$i" >"corpus/ham/h$i.txt"
      printf 'buy now %s %s\n' "$i" "$(seq 1 "$i" | tr '\n' ' ')" >"corpus/spam/s$i.txt"
    done
    tar -czf corpus.tar.gz corpus
    cat >steps/count.lua <<'LUA'
-- Bytes per label of a Files datasource, as a frame.
local zenml = require "zenml"
local Count = zenml.Step:extend("Count")
Count.inputs = { data = "frame" }
Count.outputs = { counts = "frame" }
function Count:run(ctx, inputs)
  local sums, labels_in, sizes = {}, inputs.data:col("label"), inputs.data:col("size")
  for i = 1, inputs.data:nrow() do
    sums[labels_in[i]] = (sums[labels_in[i]] or 0) + sizes[i]
  end
  local labels, bytes = {}, {}
  for k, v in pairs(sums) do labels[#labels + 1] = k end
  table.sort(labels)
  for i, k in ipairs(labels) do bytes[i] = sums[k] end
  return { counts = zenml.frame.from_table { label = labels, bytes = bytes } }
end
return Count
LUA
    cat >steps/touch.lua <<'LUA'
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "frame" }
Touch.outputs = { out = "frame", note = "value" }
Touch.params = { i = { type = "integer", required = true } }
function Touch:run(ctx, inputs)
  local n = inputs.prev and inputs.prev:nrow() or 0
  return { out = zenml.frame.from_table { i = { self.params.i }, rows = { n } },
           note = { i = self.params.i, rows = n } }
end
return Touch
LUA
    for source in folder archive; do
      path=corpus
      [ $source = archive ] && path=corpus.tar.gz
      cat >"$source.lua" <<LUA
local zenml = require "zenml"
local Count, Touch = require "count", require "touch"
local ds = zenml.datasources.Files { name = "$source", path = "$path" }
local p = zenml.Pipeline { name = "$source" }
p:add_datasource(ds)
p:add("count", Count {}, { data = "datasource.data" })
p:add("t1", Touch { i = 1 }, { prev = "count.counts" })
p:add("t2", Touch { i = 2 }, { prev = "t1.out" })
p:add("t3", Touch { i = 3 }, { prev = "count.counts" })
p:add("t4", Touch { i = 4 }, { prev = "t3.out" })
p:run()
LUA
    done
    git add -A && git commit -qm workload
    # ZM_METADATA: a metadata URL (a MariaDB database) instead of the SQLite file
    "$ZENML" init ${ZM_METADATA:+--metadata "$ZM_METADATA"} >/dev/null
  )
}
