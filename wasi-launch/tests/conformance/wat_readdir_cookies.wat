;; fd_readdir: `.` and `..` first, then the entries by name; d_next
;; cookies that resume where they say, stay valid while the directory
;; changes, and restart on cookie 0; the last entry cut to fill a small
;; buffer; inode numbers equal to stat's; zeroed padding.
;;
;; The directory `d` holds: a, bb, ccc (files), ln -> a, sub/ (spec).
  (data (i32.const 1024) "d")
  (data (i32.const 1032) ".")
  (data (i32.const 1036) "..")
  (data (i32.const 1040) "a")
  (data (i32.const 1044) "bb")
  (data (i32.const 1048) "ccc")
  (data (i32.const 1052) "ln")
  (data (i32.const 1056) "sub")
  (data (i32.const 1060) "aa")

  ;; The address of entry `index` in a listing of `used` bytes at `buf`, or
  ;; -1 when there are fewer whole entries.
  (func $entry_at (param $buf i32) (param $used i32) (param $index i32) (result i32)
    (local $p i32)
    (local.set $p (local.get $buf))
    (block $out
      (loop $walk
        (br_if $out (i32.gt_u (i32.add (local.get $p) (i32.const 24)) (i32.add (local.get $buf) (local.get $used))))
        (if (i32.eqz (local.get $index)) (then (return (local.get $p))))
        (local.set $index (i32.sub (local.get $index) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.add (i32.const 24) (i32.load (i32.add (local.get $p) (i32.const 16))))))
        (br $walk)))
    (i32.const -1))

  ;; The number of whole entries in a listing.
  (func $count (param $buf i32) (param $used i32) (result i32)
    (local $n i32)
    (block $out
      (loop $walk
        (br_if $out (i32.eq (call $entry_at (local.get $buf) (local.get $used) (local.get $n)) (i32.const -1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $walk)))
    (local.get $n))

  ;; Whether the entry at `e` is named by the `len` bytes at `name`.
  (func $named (param $e i32) (param $name i32) (param $len i32) (result i32)
    (local $i i32)
    (if (i32.ne (i32.load (i32.add (local.get $e) (i32.const 16))) (local.get $len)) (then (return (i32.const 0))))
    (block $out
      (loop $cmp
        (br_if $out (i32.eq (local.get $i) (local.get $len)))
        (if (i32.ne (i32.load8_u (i32.add (i32.add (local.get $e) (i32.const 24)) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $name) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cmp)))
    (i32.const 1))

  ;; Checks entry `index` of the listing: its name, type and d_next.
  (func $expect (param $buf i32) (param $used i32) (param $index i32) (param $name i32) (param $len i32) (param $type i32) (param $next i64) (param $id i32)
    (local $e i32)
    (local.set $e (call $entry_at (local.get $buf) (local.get $used) (local.get $index)))
    (call $check (i32.ne (local.get $e) (i32.const -1)) (i32.const 1) (local.get $id))
    (call $check (call $named (local.get $e) (local.get $name) (local.get $len)) (i32.const 1) (i32.add (local.get $id) (i32.const 1)))
    (call $check (i32.load8_u (i32.add (local.get $e) (i32.const 20))) (local.get $type) (i32.add (local.get $id) (i32.const 2)))
    (call $check64 (i64.load (local.get $e)) (local.get $next) (i32.add (local.get $id) (i32.const 3)))
    ;; Padding after d_type is zero.
    (call $check (i32.and (i32.load (i32.add (local.get $e) (i32.const 20))) (i32.const 0xffffff00)) (i32.const 0) (i32.add (local.get $id) (i32.const 4))))

  (func (export "_start")
    (local $d i32) (local $used i32) (local $e i32) (local $i i32)
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 2) (i64.const 0x2c6400) (i64.const 0x4042) (i32.const 0)) (i32.const 0) (i32.const 1))
    (local.set $d (call $fd))

    ;; The whole listing, into a buffer with room to spare.
    (memory.fill (i32.const 8192) (i32.const 0xaa) (i32.const 4096))
    (call $check (call $fd_readdir (local.get $d) (i32.const 8192) (i32.const 4096) (i64.const 0) (i32.const 12)) (i32.const 0) (i32.const 2))
    (local.set $used (call $r32))
    (call $check (local.get $used) (i32.const 182) (i32.const 3))
    (call $check (call $count (i32.const 8192) (local.get $used)) (i32.const 7) (i32.const 4))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 0) (i32.const 1032) (i32.const 1) (i32.const 3) (i64.const 1) (i32.const 10))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 1) (i32.const 1036) (i32.const 2) (i32.const 3) (i64.const 2) (i32.const 20))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 2) (i32.const 1040) (i32.const 1) (i32.const 4) (i64.const 3) (i32.const 30))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 3) (i32.const 1044) (i32.const 2) (i32.const 4) (i64.const 4) (i32.const 40))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 4) (i32.const 1048) (i32.const 3) (i32.const 4) (i64.const 5) (i32.const 50))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 5) (i32.const 1052) (i32.const 2) (i32.const 7) (i64.const 6) (i32.const 60))
    (call $expect (i32.const 8192) (local.get $used) (i32.const 6) (i32.const 1056) (i32.const 3) (i32.const 3) (i64.const 7) (i32.const 70))
    ;; Nothing past `used` was written.
    (call $check (i32.load8_u (i32.add (i32.const 8192) (local.get $used))) (i32.const 0xaa) (i32.const 80))

    ;; Inode numbers: `.` is the directory's, `a` is a's, `ln` the link's own.
    (call $check (call $fd_filestat_get (local.get $d) (i32.const 64)) (i32.const 0) (i32.const 81))
    (call $check64 (i64.load (i32.const 8200)) (i64.load (i32.const 72)) (i32.const 82))
    (call $check (call $path_filestat_get (local.get $d) (i32.const 0) (i32.const 1040) (i32.const 1) (i32.const 64)) (i32.const 0) (i32.const 83))
    (call $check64 (i64.load (i32.add (call $entry_at (i32.const 8192) (local.get $used) (i32.const 2)) (i32.const 8))) (i64.load (i32.const 72)) (i32.const 84))
    (call $check (call $path_filestat_get (local.get $d) (i32.const 0) (i32.const 1052) (i32.const 2) (i32.const 64)) (i32.const 0) (i32.const 85))
    (call $check64 (i64.load (i32.add (call $entry_at (i32.const 8192) (local.get $used) (i32.const 5)) (i32.const 8))) (i64.load (i32.const 72)) (i32.const 86))

    ;; A small buffer is filled exactly, with the start of the listing.
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 30) (i64.const 0) (i32.const 12)) (i32.const 0) (i32.const 90))
    (call $check (call $r32) (i32.const 30) (i32.const 91))
    (local.set $i (i32.const 0))
    (loop $same
      (call $check (i32.load8_u (i32.add (i32.const 16384) (local.get $i))) (i32.load8_u (i32.add (i32.const 8192) (local.get $i))) (i32.const 92))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $same (i32.lt_u (local.get $i) (i32.const 30))))
    ;; A zero-length buffer gets nothing.
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 0) (i64.const 0) (i32.const 12)) (i32.const 0) (i32.const 93))
    (call $check (call $r32) (i32.const 0) (i32.const 94))

    ;; Resuming at a cookie.
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 4096) (i64.const 3) (i32.const 12)) (i32.const 0) (i32.const 100))
    (call $check (call $count (i32.const 16384) (call $r32)) (i32.const 4) (i32.const 101))
    (call $expect (i32.const 16384) (call $r32) (i32.const 0) (i32.const 1044) (i32.const 2) (i32.const 4) (i64.const 4) (i32.const 102))
    ;; Past the end: nothing.
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 4096) (i64.const 7) (i32.const 12)) (i32.const 0) (i32.const 110))
    (call $check (call $r32) (i32.const 0) (i32.const 111))
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 4096) (i64.const -1) (i32.const 12)) (i32.const 0) (i32.const 112))
    (call $check (call $r32) (i32.const 0) (i32.const 113))

    ;; A new entry does not shift the cookies of the pass in progress...
    (call $make_file (local.get $d) (i32.const 1060) (i32.const 2) (i32.const 1060) (i32.const 2))
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 4096) (i64.const 3) (i32.const 12)) (i32.const 0) (i32.const 120))
    (call $expect (i32.const 16384) (call $r32) (i32.const 0) (i32.const 1044) (i32.const 2) (i32.const 4) (i64.const 4) (i32.const 121))
    ;; ...and cookie 0 starts a new pass that sees it.
    (call $check (call $fd_readdir (local.get $d) (i32.const 16384) (i32.const 4096) (i64.const 0) (i32.const 12)) (i32.const 0) (i32.const 130))
    (call $check (call $count (i32.const 16384) (call $r32)) (i32.const 8) (i32.const 131))
    (call $expect (i32.const 16384) (call $r32) (i32.const 3) (i32.const 1060) (i32.const 2) (i32.const 4) (i64.const 4) (i32.const 132))

    ;; Errors: a file is not a directory; a directory without FD_READDIR.
    (call $check (call $open (local.get $d) (i32.const 1040) (i32.const 1) (i32.const 0) (i64.const 0x4002) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 140))
    (call $check (call $fd_readdir (call $fd) (i32.const 16384) (i32.const 4096) (i64.const 0) (i32.const 12)) (i32.const 54) (i32.const 141))
    (call $check (call $open (local.get $d) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0x2000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 142))
    (call $check (call $fd_readdir (call $fd) (i32.const 16384) (i32.const 4096) (i64.const 0) (i32.const 12)) (i32.const 76) (i32.const 143))
    ;; A directory fd cannot see its parent: `..` carries the directory's own
    ;; inode number, like `.`.
    (call $check (call $open (local.get $d) (i32.const 1056) (i32.const 3) (i32.const 2) (i64.const 0x4000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 150))
    (call $check (call $fd_readdir (call $fd) (i32.const 16384) (i32.const 4096) (i64.const 0) (i32.const 12)) (i32.const 0) (i32.const 151))
    (call $check (call $count (i32.const 16384) (call $r32)) (i32.const 2) (i32.const 152))
    (call $check64 (i64.load (i32.add (call $entry_at (i32.const 16384) (call $r32) (i32.const 1)) (i32.const 8))) (i64.load (i32.const 16392)) (i32.const 153))
    (call $ok))
