;; The functions outside the file world, so that every preview1 function is
;; exercised: args, environ, clocks, random, sched_yield, proc_raise and
;; proc_exit (the spec expects exit code 7).
  (data (i32.const 1024) "wat_misc\00one\00two\00")
  (data (i32.const 1048) "K=V\00BACKING=host\00")

  ;; Whether the `len` bytes at `a` and `b` are equal.
  (func $same (param $a i32) (param $b i32) (param $len i32) (result i32)
    (block $out
      (loop $cmp
        (br_if $out (i32.eqz (local.get $len)))
        (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))) (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $cmp)))
    (i32.const 1))

  (func (export "_start")
    (local $t0 i64) (local $i i32) (local $nonzero i32)
    ;; args: program name and two arguments, NUL-terminated, with pointers.
    (call $check (call $args_sizes_get (i32.const 200) (i32.const 204)) (i32.const 0) (i32.const 1))
    (call $check (i32.load (i32.const 200)) (i32.const 3) (i32.const 2))
    (call $check (i32.load (i32.const 204)) (i32.const 17) (i32.const 3))
    (call $check (call $args_get (i32.const 2048) (i32.const 4096)) (i32.const 0) (i32.const 4))
    (call $check (call $same (i32.const 4096) (i32.const 1024) (i32.const 17)) (i32.const 1) (i32.const 5))
    (call $check (i32.load (i32.const 2048)) (i32.const 4096) (i32.const 6))
    (call $check (i32.load (i32.const 2056)) (i32.const 4109) (i32.const 7))
    ;; environ: the spec's K=V, then the runner's BACKING.
    (call $check (call $environ_sizes_get (i32.const 200) (i32.const 204)) (i32.const 0) (i32.const 8))
    (call $check (i32.load (i32.const 200)) (i32.const 2) (i32.const 9))
    (call $check (i32.load (i32.const 204)) (i32.const 17) (i32.const 10))
    (call $check (call $environ_get (i32.const 2048) (i32.const 4096)) (i32.const 0) (i32.const 11))
    (call $check (call $same (i32.const 4096) (i32.const 1048) (i32.const 17)) (i32.const 1) (i32.const 12))
    (call $check (i32.load (i32.const 2052)) (i32.const 4100) (i32.const 13))
    ;; Clocks: every clock reads and has a resolution; monotonic moves.
    (local.set $i (i32.const 0))
    (loop $clocks
      (call $check (call $clock_res_get (local.get $i) (i32.const 16)) (i32.const 0) (i32.const 14))
      (call $check (i64.gt_u (call $r64) (i64.const 0)) (i32.const 1) (i32.const 15))
      (call $check (call $clock_time_get (local.get $i) (i64.const 0) (i32.const 16)) (i32.const 0) (i32.const 16))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $clocks (i32.lt_u (local.get $i) (i32.const 4))))
    (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 16)) (i32.const 0) (i32.const 17))
    (local.set $t0 (call $r64))
    (call $check (call $sched_yield) (i32.const 0) (i32.const 18))
    (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 16)) (i32.const 0) (i32.const 19))
    (call $check (i64.ge_u (call $r64) (local.get $t0)) (i32.const 1) (i32.const 20))
    ;; Realtime is after 2020.
    (call $check (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 16)) (i32.const 0) (i32.const 21))
    (call $check (i64.gt_u (call $r64) (i64.const 1577836800000000000)) (i32.const 1) (i32.const 22))
    ;; random_get fills the buffer (64 zero bytes stay all-zero with
    ;; probability 2^-512), and an empty request is fine.
    (memory.fill (i32.const 8192) (i32.const 0) (i32.const 64))
    (call $check (call $random_get (i32.const 8192) (i32.const 64)) (i32.const 0) (i32.const 23))
    (local.set $i (i32.const 0))
    (loop $scan
      (local.set $nonzero (i32.or (local.get $nonzero) (i32.load8_u (i32.add (i32.const 8192) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $scan (i32.lt_u (local.get $i) (i32.const 64))))
    (call $check (i32.ne (local.get $nonzero) (i32.const 0)) (i32.const 1) (i32.const 24))
    (call $check (call $random_get (i32.const 8192) (i32.const 0)) (i32.const 0) (i32.const 25))
    ;; Signals whose default action is to be ignored return.
    (call $check (call $proc_raise (i32.const 0)) (i32.const 0) (i32.const 26))
    (call $check (call $proc_raise (i32.const 16)) (i32.const 0) (i32.const 27))
    (call $ok)
    (call $proc_exit (i32.const 7))
    unreachable)
