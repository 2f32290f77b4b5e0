;; proc_raise takes no pointer: a number that is not a preview1 signal is
;; EINVAL (28), signal 0 and the signals ignored by default succeed and do
;; nothing, the stop signals are ENOTSUP (58) (no job control).
;; Exits 28 when every case behaved; otherwise (case << 8) | errno.
(module
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    (call $expect (i32.const 1) (call $proc_raise (i32.const 999)) (i32.const 28))
    (call $expect (i32.const 2) (call $proc_raise (i32.const 31)) (i32.const 28))
    (call $expect (i32.const 3) (call $proc_raise (i32.const -1)) (i32.const 28))
    (call $expect (i32.const 4) (call $proc_raise (i32.const 256)) (i32.const 28))
    ;; Signal 0 and chld (16), cont (17), urg (22), winch (27).
    (call $expect (i32.const 5) (call $proc_raise (i32.const 0)) (i32.const 0))
    (call $expect (i32.const 6) (call $proc_raise (i32.const 16)) (i32.const 0))
    (call $expect (i32.const 7) (call $proc_raise (i32.const 17)) (i32.const 0))
    (call $expect (i32.const 8) (call $proc_raise (i32.const 22)) (i32.const 0))
    (call $expect (i32.const 9) (call $proc_raise (i32.const 27)) (i32.const 0))
    ;; stop (18), tstp (19), ttin (20), ttou (21).
    (call $expect (i32.const 10) (call $proc_raise (i32.const 18)) (i32.const 58))
    (call $expect (i32.const 11) (call $proc_raise (i32.const 21)) (i32.const 58))
    (call $proc_exit (i32.const 28))))
