;; memory.grow past a 2 MiB cap must give -1 (exit 10 otherwise), then one page must succeed (exit 11 otherwise); exit 0.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 65536)
  (func (export "_start")
    ;; grow by 100 pages past a 2 MiB cap: -1; then by 1: old size 1
    (if (i32.ne (memory.grow (i32.const 100)) (i32.const -1)) (then (call $exit (i32.const 10))))
    (if (i32.ne (memory.grow (i32.const 1)) (i32.const 1)) (then (call $exit (i32.const 11))))
    (call $exit (i32.const 0))))
