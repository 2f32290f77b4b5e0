;; For each preopen from fd 3 until fd_prestat_get fails, prints one line:
;; the guest path, then the fd's base and inheriting rights as 16 hex digits
;; each, space-separated. Exits 0 when the list ended with EBADF (8);
;; otherwise 0x100 | errno.
;;
;; Layout: prestat at 0, fdstat at 64, the line being built at 256.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $check (param $errno i32)
    (if (local.get $errno)
      (then (call $proc_exit (i32.or (i32.const 0x100) (local.get $errno))))))

  ;; Writes `value` as 16 lower-case hex digits at `p`.
  (func $hex64 (param $p i32) (param $value i64)
    (local $i i32)
    (local $nibble i32)
    (loop $next
      (local.set $nibble (i32.wrap_i64 (i64.and
        (i64.shr_u (local.get $value) (i64.extend_i32_u (i32.sub (i32.const 60) (i32.shl (local.get $i) (i32.const 2)))))
        (i64.const 15))))
      (i32.store8 (i32.add (local.get $p) (local.get $i))
        (i32.add (local.get $nibble)
          (select (i32.const 48) (i32.const 87) (i32.lt_u (local.get $nibble) (i32.const 10)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 16)))))

  (func (export "_start")
    (local $fd i32)
    (local $errno i32)
    (local $len i32)
    (local $end i32)
    (local.set $fd (i32.const 3))
    (block $done
      (loop $next
        (local.set $errno (call $fd_prestat_get (local.get $fd) (i32.const 0)))
        (br_if $done (local.get $errno))
        (local.set $len (i32.load (i32.const 4)))
        (call $check (call $fd_prestat_dir_name (local.get $fd) (i32.const 256) (local.get $len)))
        (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 64)))
        (local.set $end (i32.add (i32.const 256) (local.get $len)))
        (i32.store8 (local.get $end) (i32.const 32))
        (call $hex64 (i32.add (local.get $end) (i32.const 1)) (i64.load (i32.const 72)))
        (i32.store8 (i32.add (local.get $end) (i32.const 17)) (i32.const 32))
        (call $hex64 (i32.add (local.get $end) (i32.const 18)) (i64.load (i32.const 80)))
        (i32.store8 (i32.add (local.get $end) (i32.const 34)) (i32.const 10))
        ;; iovec at 128: the line; nwritten at 136.
        (i32.store (i32.const 128) (i32.const 256))
        (i32.store (i32.const 132) (i32.sub (i32.add (local.get $end) (i32.const 35)) (i32.const 256)))
        (call $check (call $fd_write (i32.const 1) (i32.const 128) (i32.const 1) (i32.const 136)))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next)))
    (if (i32.ne (local.get $errno) (i32.const 8))
      (then (call $check (local.get $errno))))
    (call $proc_exit (i32.const 0))))
