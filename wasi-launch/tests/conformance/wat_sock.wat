;; sock_*: EBADF for an fd that is not open, ENOTSOCK for any other (the
;; file world holds no sockets).
  (func (export "_start")
    (call $check (call $sock_accept (i32.const 99) (i32.const 0) (i32.const 12)) (i32.const 8) (i32.const 1))
    (call $check (call $sock_recv (i32.const 99) (i32.const 128) (i32.const 1) (i32.const 0) (i32.const 12) (i32.const 16)) (i32.const 8) (i32.const 2))
    (call $check (call $sock_send (i32.const 99) (i32.const 128) (i32.const 1) (i32.const 0) (i32.const 12)) (i32.const 8) (i32.const 3))
    (call $check (call $sock_shutdown (i32.const 99) (i32.const 3)) (i32.const 8) (i32.const 4))
    (call $check (call $sock_shutdown (i32.const -1) (i32.const 1)) (i32.const 8) (i32.const 5))
    (call $check (call $sock_accept (i32.const 0) (i32.const 0) (i32.const 12)) (i32.const 57) (i32.const 6))
    (call $check (call $sock_recv (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 0) (i32.const 12) (i32.const 16)) (i32.const 57) (i32.const 7))
    (call $check (call $sock_send (i32.const 1) (i32.const 128) (i32.const 1) (i32.const 0) (i32.const 12)) (i32.const 57) (i32.const 8))
    (call $check (call $sock_shutdown (i32.const 1) (i32.const 3)) (i32.const 57) (i32.const 9))
    (call $check (call $sock_shutdown (i32.const 3) (i32.const 2)) (i32.const 57) (i32.const 10))
    (call $check (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 12)) (i32.const 57) (i32.const 11))
    ;; Bad pointers do not matter: the fd is checked and is no socket.
    (call $check (call $sock_recv (i32.const 3) (i32.const -8) (i32.const 1) (i32.const 0) (i32.const -4) (i32.const -4)) (i32.const 57) (i32.const 12))
    (call $ok))
