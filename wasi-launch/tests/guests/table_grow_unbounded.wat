;; Issue 11: `table.grow` by u32::MAX - 1 elements (32 GiB of host memory
;; without a bound) and by 0x10000000 must return -1; a modest grow works.
;; Exits 0 when all three hold, else the number of the failed check.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table $t 0 funcref)
  (func (export "_start")
    (if (i32.ne (table.grow $t (ref.null func) (i32.const -1)) (i32.const -1))
      (then (call $exit (i32.const 1))))
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 0x10000000)) (i32.const -1))
      (then (call $exit (i32.const 2))))
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 1000)) (i32.const 0))
      (then (call $exit (i32.const 3))))
    (call $exit (i32.const 0))))
