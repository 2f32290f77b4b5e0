;; Issue 11: `proc_exit(7)` called from the module's start function (not
;; from `_start`) ends the guest with code 7.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $init (call $exit (i32.const 7)))
  (start $init)
  (func (export "_start") (call $exit (i32.const 1))))
