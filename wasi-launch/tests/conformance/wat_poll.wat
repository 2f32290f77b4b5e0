;; poll_oneoff: relative and absolute clocks, fd readiness for files and
;; streams, errors carried by events, and errors of the whole call.
;; Subscriptions are built at 8192 (48 bytes each), events land at 16384
;; (32 bytes each), the event count at 12.
  (data (i32.const 1024) "file")
  (data (i32.const 1032) "d")

  (func $sub_clock (param $i i32) (param $userdata i64) (param $clock i32) (param $timeout i64) (param $flags i32)
    (local $a i32)
    (local.set $a (i32.add (i32.const 8192) (i32.mul (local.get $i) (i32.const 48))))
    (memory.fill (local.get $a) (i32.const 0) (i32.const 48))
    (i64.store (local.get $a) (local.get $userdata))
    (i32.store8 (i32.add (local.get $a) (i32.const 8)) (i32.const 0))
    (i32.store (i32.add (local.get $a) (i32.const 16)) (local.get $clock))
    (i64.store (i32.add (local.get $a) (i32.const 24)) (local.get $timeout))
    (i32.store16 (i32.add (local.get $a) (i32.const 40)) (local.get $flags)))

  (func $sub_fd (param $i i32) (param $userdata i64) (param $type i32) (param $fd i32)
    (local $a i32)
    (local.set $a (i32.add (i32.const 8192) (i32.mul (local.get $i) (i32.const 48))))
    (memory.fill (local.get $a) (i32.const 0) (i32.const 48))
    (i64.store (local.get $a) (local.get $userdata))
    (i32.store8 (i32.add (local.get $a) (i32.const 8)) (local.get $type))
    (i32.store (i32.add (local.get $a) (i32.const 16)) (local.get $fd)))

  (func $poll (param $n i32) (result i32)
    (memory.fill (i32.const 16384) (i32.const 0xee) (i32.const 1024))
    (call $poll_oneoff (i32.const 8192) (i32.const 16384) (local.get $n) (i32.const 12)))

  ;; Checks event `i`: userdata, error, type.
  (func $event (param $i i32) (param $userdata i64) (param $error i32) (param $type i32) (param $id i32)
    (local $a i32)
    (local.set $a (i32.add (i32.const 16384) (i32.mul (local.get $i) (i32.const 32))))
    (call $check64 (i64.load (local.get $a)) (local.get $userdata) (local.get $id))
    (call $check (i32.load16_u (i32.add (local.get $a) (i32.const 8))) (local.get $error) (i32.add (local.get $id) (i32.const 1)))
    (call $check (i32.load8_u (i32.add (local.get $a) (i32.const 10))) (local.get $type) (i32.add (local.get $id) (i32.const 2))))

  (func $nbytes (param $i i32) (result i64)
    (i64.load (i32.add (i32.add (i32.const 16384) (i32.mul (local.get $i) (i32.const 32))) (i32.const 16))))

  (func $now (result i64)
    (call $check (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 16)) (i32.const 0) (i32.const 9200))
    (call $r64))

  (func (export "_start")
    (local $t i64) (local $f i32) (local $d i32)
    ;; A relative timeout of 20 ms fires after at least 20 ms.
    (local.set $t (call $now))
    (call $sub_clock (i32.const 0) (i64.const 0x1234) (i32.const 1) (i64.const 20000000) (i32.const 0))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 1))
    (call $check (call $r32) (i32.const 1) (i32.const 2))
    (call $event (i32.const 0) (i64.const 0x1234) (i32.const 0) (i32.const 0) (i32.const 3))
    (call $check (i64.ge_u (i64.sub (call $now) (local.get $t)) (i64.const 20000000)) (i32.const 1) (i32.const 6))
    ;; Of two timeouts only the earlier fires.
    (call $sub_clock (i32.const 0) (i64.const 1) (i32.const 1) (i64.const 5000000000) (i32.const 0))
    (call $sub_clock (i32.const 1) (i64.const 2) (i32.const 0) (i64.const 1000000) (i32.const 0))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 7))
    (call $check (call $r32) (i32.const 1) (i32.const 8))
    (call $event (i32.const 0) (i64.const 2) (i32.const 0) (i32.const 0) (i32.const 9))
    ;; An absolute deadline 10 ms ahead on the monotonic clock.
    (local.set $t (call $now))
    (call $sub_clock (i32.const 0) (i64.const 3) (i32.const 1) (i64.add (local.get $t) (i64.const 10000000)) (i32.const 1))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 12))
    (call $event (i32.const 0) (i64.const 3) (i32.const 0) (i32.const 0) (i32.const 13))
    (call $check (i64.ge_u (call $now) (i64.add (local.get $t) (i64.const 10000000))) (i32.const 1) (i32.const 16))
    ;; Absolute deadlines in the past fire at once, on any clock.
    (call $sub_clock (i32.const 0) (i64.const 4) (i32.const 0) (i64.const 1) (i32.const 1))
    (call $sub_clock (i32.const 1) (i64.const 5) (i32.const 2) (i64.const 0) (i32.const 1))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 17))
    (call $check (call $r32) (i32.const 2) (i32.const 18))
    (call $event (i32.const 0) (i64.const 4) (i32.const 0) (i32.const 0) (i32.const 19))
    (call $event (i32.const 1) (i64.const 5) (i32.const 0) (i32.const 0) (i32.const 22))
    ;; An unknown clock fails the whole call.
    (call $sub_clock (i32.const 0) (i64.const 6) (i32.const 9) (i64.const 1000) (i32.const 0))
    (call $check (call $poll (i32.const 1)) (i32.const 28) (i32.const 25))

    ;; stdout is writable at once, without waiting for a long timeout.
    (local.set $t (call $now))
    (call $sub_fd (i32.const 0) (i64.const 7) (i32.const 2) (i32.const 1))
    (call $sub_clock (i32.const 1) (i64.const 8) (i32.const 1) (i64.const 10000000000) (i32.const 0))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 30))
    (call $check (call $r32) (i32.const 1) (i32.const 31))
    (call $event (i32.const 0) (i64.const 7) (i32.const 0) (i32.const 2) (i32.const 32))
    (call $check (i64.lt_u (i64.sub (call $now) (local.get $t)) (i64.const 1000000000)) (i32.const 1) (i32.const 35))
    ;; stdin fed from bytes is readable.
    (call $sub_fd (i32.const 0) (i64.const 9) (i32.const 1) (i32.const 0))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 36))
    (call $event (i32.const 0) (i64.const 9) (i32.const 0) (i32.const 1) (i32.const 37))
    ;; A file is ready both ways; reading reports the bytes left.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const 0x8000046) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 40))
    (local.set $f (call $fd))
    (call $sub_fd (i32.const 0) (i64.const 10) (i32.const 1) (local.get $f))
    (call $sub_fd (i32.const 1) (i64.const 11) (i32.const 2) (local.get $f))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 41))
    (call $check (call $r32) (i32.const 2) (i32.const 42))
    (call $event (i32.const 0) (i64.const 10) (i32.const 0) (i32.const 1) (i32.const 43))
    (call $check64 (call $nbytes (i32.const 0)) (i64.const 5) (i32.const 46))
    (call $event (i32.const 1) (i64.const 11) (i32.const 0) (i32.const 2) (i32.const 47))
    (call $check (call $read (local.get $f) (i32.const 2048) (i32.const 2)) (i32.const 0) (i32.const 50))
    (call $sub_fd (i32.const 0) (i64.const 12) (i32.const 1) (local.get $f))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 51))
    (call $check64 (call $nbytes (i32.const 0)) (i64.const 3) (i32.const 52))

    ;; Errors carried by events: a closed fd, a directory, reading stdout, a
    ;; file waited on for reading with neither poll_fd_readwrite nor fd_read.
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0x8000000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 53))
    (local.set $d (call $fd))
    (call $sub_fd (i32.const 0) (i64.const 13) (i32.const 1) (i32.const 99))
    (call $sub_fd (i32.const 1) (i64.const 14) (i32.const 2) (local.get $d))
    (call $sub_fd (i32.const 2) (i64.const 15) (i32.const 1) (i32.const 1))
    (call $check (call $fd_fdstat_set_rights (local.get $f) (i64.const 0x40) (i64.const 0)) (i32.const 0) (i32.const 54))
    (call $sub_fd (i32.const 3) (i64.const 16) (i32.const 1) (local.get $f))
    (call $check (call $poll (i32.const 4)) (i32.const 0) (i32.const 55))
    (call $check (call $r32) (i32.const 4) (i32.const 56))
    (call $event (i32.const 0) (i64.const 13) (i32.const 8) (i32.const 1) (i32.const 57))
    (call $event (i32.const 1) (i64.const 14) (i32.const 8) (i32.const 2) (i32.const 60))
    (call $event (i32.const 2) (i64.const 15) (i32.const 8) (i32.const 1) (i32.const 63))
    (call $event (i32.const 3) (i64.const 16) (i32.const 76) (i32.const 1) (i32.const 66))

    ;; Errors of the whole call: no subscriptions, an unknown event type,
    ;; too many subscriptions.
    (call $check (call $poll (i32.const 0)) (i32.const 28) (i32.const 70))
    (call $sub_fd (i32.const 0) (i64.const 17) (i32.const 3) (i32.const 1))
    (call $check (call $poll (i32.const 1)) (i32.const 28) (i32.const 71))
    (call $check (call $poll_oneoff (i32.const 0) (i32.const 0) (i32.const 0x10001) (i32.const 12)) (i32.const 28) (i32.const 72))
    (call $ok))
