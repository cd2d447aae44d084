-- Print every crash point the binary has, one per line (crash_test.sh walks them).
for _, p in ipairs(require("zenml._core").sys.fault_points()) do print(p) end
