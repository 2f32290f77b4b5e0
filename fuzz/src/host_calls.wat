;; The fuzz dispatcher: imports every host function of issue 4 and exports
;; `call(which, a, b, c, d, e)`, which calls function number `which` (in the
;; order below) with its i32 parameters taken from a, b, c, e and its i64
;; parameter (clock_time_get's precision, fd_seek's offset) from d, and
;; returns its errno. proc_exit returns nothing; `call` then returns 0, but
;; proc_exit never returns. A `which` past the end returns -1.
;; One page of memory, which cannot grow.
(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "call") (param $which i32) (param $a i32) (param $b i32) (param $c i32) (param $d i64) (param $e i32) (result i32)
    (block $fallthrough
    (block $fd_prestat_dir_name
    (block $fd_prestat_get
    (block $fd_tell
    (block $fd_seek
    (block $fd_fdstat_get
    (block $fd_close
    (block $fd_read
    (block $fd_write
    (block $sched_yield
    (block $proc_raise
    (block $proc_exit
    (block $random_get
    (block $clock_time_get
    (block $clock_res_get
    (block $environ_sizes_get
    (block $environ_get
    (block $args_sizes_get
    (block $args_get
    ;; Block k ends just before the call of function k.
    (br_table $args_get $args_sizes_get $environ_get $environ_sizes_get $clock_res_get $clock_time_get $random_get $proc_exit $proc_raise $sched_yield $fd_write $fd_read $fd_close $fd_fdstat_get $fd_seek $fd_tell $fd_prestat_get $fd_prestat_dir_name $fallthrough (local.get $which))
    ) (return (call $args_get (local.get $a) (local.get $b)))
    ) (return (call $args_sizes_get (local.get $a) (local.get $b)))
    ) (return (call $environ_get (local.get $a) (local.get $b)))
    ) (return (call $environ_sizes_get (local.get $a) (local.get $b)))
    ) (return (call $clock_res_get (local.get $a) (local.get $b)))
    ) (return (call $clock_time_get (local.get $a) (local.get $d) (local.get $b)))
    ) (return (call $random_get (local.get $a) (local.get $b)))
    ) (call $proc_exit (local.get $a)) (return (i32.const 0))
    ) (return (call $proc_raise (local.get $a)))
    ) (return (call $sched_yield))
    ) (return (call $fd_write (local.get $a) (local.get $b) (local.get $c) (local.get $e)))
    ) (return (call $fd_read (local.get $a) (local.get $b) (local.get $c) (local.get $e)))
    ) (return (call $fd_close (local.get $a)))
    ) (return (call $fd_fdstat_get (local.get $a) (local.get $b)))
    ) (return (call $fd_seek (local.get $a) (local.get $d) (local.get $b) (local.get $c)))
    ) (return (call $fd_tell (local.get $a) (local.get $b)))
    ) (return (call $fd_prestat_get (local.get $a) (local.get $b)))
    ) (return (call $fd_prestat_dir_name (local.get $a) (local.get $b) (local.get $c)))
    )
    (i32.const -1)))
