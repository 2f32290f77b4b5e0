;; Rights: what a preopen holds, narrowing on open (to the directory's
;; inheriting rights and to what applies to a file or a directory),
;; fd_fdstat_set_rights (drop only), and their enforcement.
;;
;; Bits: FD_READ 0x2, FD_SEEK 0x4, FD_TELL 0x20, FD_WRITE 0x40,
;; PATH_CREATE_DIRECTORY 0x200, PATH_CREATE_FILE 0x400, PATH_OPEN 0x2000,
;; FD_READDIR 0x4000, PATH_FILESTAT_GET 0x40000, PATH_FILESTAT_SET_SIZE
;; 0x80000, FD_FILESTAT_GET 0x200000, PATH_UNLINK_FILE 0x4000000.
  (data (i32.const 1024) "file")
  (data (i32.const 1032) ".")
  (data (i32.const 1040) "new1")
  (data (i32.const 1048) "new2")
  (data (i32.const 1056) "sub")

  (func $base (param $fd i32) (result i64)
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 64)) (i32.const 0) (i32.const 9100))
    (i64.load (i32.const 72)))
  (func $inheriting (param $fd i32) (result i64)
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 64)) (i32.const 0) (i32.const 9101))
    (i64.load (i32.const 80)))

  (func (export "_start")
    (local $f i32) (local $d i32) (local $g i32)
    (call $make_file (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 1024) (i32.const 4))

    ;; The writable preopen: directory rights as base, file rights inherited.
    (call $check64 (i64.and (call $base (i32.const 3)) (i64.const 0x42e6600)) (i64.const 0x42e6600) (i32.const 1))
    (call $check64 (i64.and (call $base (i32.const 3)) (i64.const 0x66)) (i64.const 0) (i32.const 2))
    (call $check64 (i64.and (call $inheriting (i32.const 3)) (i64.const 0x66)) (i64.const 0x66) (i32.const 3))

    ;; A directory keeps only directory rights; read/write on "." is EISDIR.
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0x2006) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 4))
    (local.set $d (call $fd))
    (call $check64 (call $base (local.get $d)) (i64.const 0x2000) (i32.const 5))
    (call $check (call $fd_seek (local.get $d) (i64.const 0) (i32.const 1) (i32.const 16)) (i32.const 8) (i32.const 6))
    (call $check (call $fd_close (local.get $d)) (i32.const 0) (i32.const 7))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 31) (i32.const 8))
    ;; File-only write rights (fd_allocate, fd_filestat_set_size) are dropped.
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0x402100) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 8))
    (call $check64 (call $base (call $fd)) (i64.const 0x2000) (i32.const 8))
    (call $check (call $fd_close (call $fd)) (i32.const 0) (i32.const 8))
    ;; Same rights as the preopen, and no rights at all, both open ".".
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 0) (call $base (i32.const 3)) (call $inheriting (i32.const 3)) (i32.const 0)) (i32.const 0) (i32.const 9))
    (call $check (call $fd_close (call $fd)) (i32.const 0) (i32.const 10))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 11))
    (call $check64 (call $base (call $fd)) (i64.const 0) (i32.const 12))
    (call $check (call $fd_close (call $fd)) (i32.const 0) (i32.const 13))

    ;; A file opened with FD_READ only: reports exactly that; writing is
    ;; EBADF, seeking and stat are ENOTCAPABLE.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const 0x2) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 14))
    (local.set $f (call $fd))
    (call $check64 (call $base (local.get $f)) (i64.const 0x2) (i32.const 15))
    (call $check64 (call $inheriting (local.get $f)) (i64.const 0) (i32.const 16))
    (call $check (call $write (local.get $f) (i32.const 1024) (i32.const 1)) (i32.const 8) (i32.const 17))
    (call $check (call $read (local.get $f) (i32.const 2048) (i32.const 4)) (i32.const 0) (i32.const 18))
    (call $check (call $r32) (i32.const 4) (i32.const 19))
    (call $check (call $fd_seek (local.get $f) (i64.const 0) (i32.const 0) (i32.const 16)) (i32.const 76) (i32.const 20))
    (call $check (call $fd_tell (local.get $f) (i32.const 16)) (i32.const 76) (i32.const 21))
    (call $check (call $fd_filestat_get (local.get $f) (i32.const 64)) (i32.const 76) (i32.const 22))
    (call $check (call $fd_filestat_set_size (local.get $f) (i64.const 0)) (i32.const 76) (i32.const 23))
    ;; fd_fdstat_set_rights drops, never adds.
    (call $check (call $fd_fdstat_set_rights (local.get $f) (i64.const 0x6) (i64.const 0)) (i32.const 76) (i32.const 24))
    (call $check (call $fd_fdstat_set_rights (local.get $f) (i64.const 0x2) (i64.const 0x2)) (i32.const 76) (i32.const 25))
    (call $check (call $fd_fdstat_set_rights (local.get $f) (i64.const 0x2) (i64.const 0)) (i32.const 0) (i32.const 26))
    (call $check (call $fd_fdstat_set_rights (local.get $f) (i64.const 0) (i64.const 0)) (i32.const 0) (i32.const 27))
    (call $check64 (call $base (local.get $f)) (i64.const 0) (i32.const 28))
    (call $check (call $read (local.get $f) (i32.const 2048) (i32.const 4)) (i32.const 8) (i32.const 29))
    (call $check (call $fd_fdstat_set_rights (local.get $f) (i64.const 0x2) (i64.const 0)) (i32.const 76) (i32.const 30))
    (call $check (call $fd_close (local.get $f)) (i32.const 0) (i32.const 31))

    ;; A directory fd with few rights passes on only what it inherits.
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2)
      (i64.const 0x240400) (i64.const 0x2) (i32.const 0)) (i32.const 0) (i32.const 32))
    (local.set $d (call $fd))
    (call $check64 (call $base (local.get $d)) (i64.const 0x240400) (i32.const 33))
    (call $check (call $open (local.get $d) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 34))
    ;; PATH_OPEN is missing: grant it by reopening, then narrow step by step.
    (call $check (call $fd_close (local.get $d)) (i32.const 0) (i32.const 35))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2)
      (i64.const 0x240400) (i64.const 0x2) (i32.const 0)) (i32.const 0) (i32.const 36))
    (call $check (call $fd_close (call $fd)) (i32.const 0) (i32.const 36))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2)
      (i64.const 0x246400) (i64.const 0x200002) (i32.const 0)) (i32.const 0) (i32.const 37))
    (local.set $d (call $fd))
    ;; A file opened through it asking for read and write gets read only.
    (call $check (call $open (local.get $d) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 38))
    (local.set $g (call $fd))
    (call $check64 (call $base (local.get $g)) (i64.const 0x2) (i32.const 39))
    (call $check (call $write (local.get $g) (i32.const 1024) (i32.const 1)) (i32.const 8) (i32.const 40))
    (call $check (call $fd_close (local.get $g)) (i32.const 0) (i32.const 41))
    ;; It may create files (PATH_CREATE_FILE) but not directories, and may
    ;; not unlink or truncate.
    (call $check (call $open (local.get $d) (i32.const 1040) (i32.const 4) (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 42))
    (call $check (call $fd_close (call $fd)) (i32.const 0) (i32.const 43))
    (call $check (call $path_create_directory (local.get $d) (i32.const 1056) (i32.const 3)) (i32.const 76) (i32.const 44))
    (call $check (call $path_unlink_file (local.get $d) (i32.const 1040) (i32.const 4)) (i32.const 76) (i32.const 45))
    (call $check (call $open (local.get $d) (i32.const 1024) (i32.const 4) (i32.const 8) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 46))
    ;; Dropping PATH_CREATE_FILE stops creation.
    (call $check (call $fd_fdstat_set_rights (local.get $d) (i64.const 0x246000) (i64.const 0x200002)) (i32.const 0) (i32.const 47))
    (call $check (call $open (local.get $d) (i32.const 1048) (i32.const 4) (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 48))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 1048) (i32.const 4) (i32.const 64)) (i32.const 44) (i32.const 49))
    ;; Dropping FD_READ from its inheriting rights: new files get none.
    (call $check (call $fd_fdstat_set_rights (local.get $d) (i64.const 0x246000) (i64.const 0x200000)) (i32.const 0) (i32.const 50))
    (call $check (call $open (local.get $d) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const 0x200002) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 51))
    (local.set $g (call $fd))
    (call $check64 (call $base (local.get $g)) (i64.const 0x200000) (i32.const 52))
    (call $check (call $read (local.get $g) (i32.const 2048) (i32.const 4)) (i32.const 8) (i32.const 53))
    (call $check (call $fd_filestat_get (local.get $g) (i32.const 64)) (i32.const 0) (i32.const 54))

    ;; O_TRUNC needs PATH_FILESTAT_SET_SIZE on the directory.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 8) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 55))
    (call $check (call $fd_close (call $fd)) (i32.const 0) (i32.const 56))
    (call $check (call $fd_fdstat_set_rights (i32.const 3)
      (i64.and (call $base (i32.const 3)) (i64.const -524289)) (call $inheriting (i32.const 3))) (i32.const 0) (i32.const 57))
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 8) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 58))

    ;; The standard streams: stderr loses FD_WRITE, then cannot be written.
    (call $check64 (i64.and (call $base (i32.const 2)) (i64.const 0x40)) (i64.const 0x40) (i32.const 59))
    (call $check (call $fd_fdstat_set_rights (i32.const 2) (i64.const 0) (i64.const 0)) (i32.const 0) (i32.const 60))
    (call $check (call $write (i32.const 2) (i32.const 1024) (i32.const 1)) (i32.const 8) (i32.const 61))
    (call $ok))
