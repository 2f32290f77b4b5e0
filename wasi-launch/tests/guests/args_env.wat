;; Writes every argument to stdout and every environment entry to stderr,
;; each as found through its argv/environ pointer, with its terminating nul:
;; the host compares the bytes exactly. Exits 0, or 0x100 | errno when a
;; call fails.
;;
;; Layout: sizes at 0 and 4, the iovec at 16, nwritten at 24, the pointer
;; array at 4096, the strings at 32768.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $check (param $errno i32)
    (if (local.get $errno)
      (then (call $proc_exit (i32.or (i32.const 0x100) (local.get $errno))))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func $write (param $fd i32) (param $p i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $p))
    (i32.store (i32.const 20) (local.get $len))
    (call $check (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24))))

  ;; Writes the `count` strings whose pointers are at 4096 to `fd`.
  (func $dump (param $fd i32) (param $count i32)
    (local $i i32)
    (local $p i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $p (i32.load (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 2)))))
        (call $write (local.get $fd) (local.get $p) (i32.add (call $strlen (local.get $p)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func (export "_start")
    (call $check (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (call $check (call $args_get (i32.const 4096) (i32.const 32768)))
    (call $dump (i32.const 1) (i32.load (i32.const 0)))
    (call $check (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (call $check (call $environ_get (i32.const 4096) (i32.const 32768)))
    (call $dump (i32.const 2) (i32.load (i32.const 0)))))
