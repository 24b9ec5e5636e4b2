;; Source of src/tensor/adamw-wasm.ts (regenerate with `node scripts/build-wasm.mjs`).
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; AdamW on one chunk laid out in linear memory as four float32 arrays g, m, v, p of n values
  ;; (byte addresses), updated in place: m, v, p. Double-precision arithmetic, two lanes at a time
  ;; (f64x2), in exactly the order of the scalar reference, so results are bit-identical to it.
  (func (export "adamw")
    (param $g i32) (param $m i32) (param $v i32) (param $p i32) (param $n i32)
    (param $scale f64) (param $beta1 f64) (param $beta2 f64) (param $stepSize f64)
    (param $bc2Sqrt f64) (param $eps f64) (param $decay f64)
    (local $i i32) (local $pairs i32) (local $off i32)
    (local $gi v128) (local $mi v128) (local $vi v128) (local $u v128)
    (local $sScale v128) (local $sB1 v128) (local $sB2 v128) (local $sB1c v128) (local $sB2c v128)
    (local $sStep v128) (local $sBc2 v128) (local $sEps v128) (local $sDecay v128)
    (local $x f64) (local $y f64) (local $w f64) (local $t f64)
    (local.set $sScale (f64x2.splat (local.get $scale)))
    (local.set $sB1 (f64x2.splat (local.get $beta1)))
    (local.set $sB2 (f64x2.splat (local.get $beta2)))
    (local.set $sB1c (f64x2.splat (f64.sub (f64.const 1) (local.get $beta1))))
    (local.set $sB2c (f64x2.splat (f64.sub (f64.const 1) (local.get $beta2))))
    (local.set $sStep (f64x2.splat (local.get $stepSize)))
    (local.set $sBc2 (f64x2.splat (local.get $bc2Sqrt)))
    (local.set $sEps (f64x2.splat (local.get $eps)))
    (local.set $sDecay (f64x2.splat (local.get $decay)))
    (local.set $pairs (i32.shr_u (local.get $n) (i32.const 1)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $pairs)))
        (local.set $off (i32.shl (local.get $i) (i32.const 3)))
        ;; gi = g * scale
        (local.set $gi (f64x2.mul
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (local.get $off))))
          (local.get $sScale)))
        ;; mi = beta1 * m + (1 - beta1) * gi
        (local.set $mi (f64x2.add
          (f64x2.mul (local.get $sB1) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $m) (local.get $off)))))
          (f64x2.mul (local.get $sB1c) (local.get $gi))))
        ;; vi = beta2 * v + ((1 - beta2) * gi) * gi
        (local.set $vi (f64x2.add
          (f64x2.mul (local.get $sB2) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $v) (local.get $off)))))
          (f64x2.mul (f64x2.mul (local.get $sB2c) (local.get $gi)) (local.get $gi))))
        (v128.store64_lane 0 (i32.add (local.get $m) (local.get $off)) (f32x4.demote_f64x2_zero (local.get $mi)))
        (v128.store64_lane 0 (i32.add (local.get $v) (local.get $off)) (f32x4.demote_f64x2_zero (local.get $vi)))
        ;; u = (stepSize * mi) / (sqrt(vi) / bc2Sqrt + eps); p = p * decay - u
        (local.set $u (f64x2.div
          (f64x2.mul (local.get $sStep) (local.get $mi))
          (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vi)) (local.get $sBc2)) (local.get $sEps))))
        (v128.store64_lane 0 (i32.add (local.get $p) (local.get $off))
          (f32x4.demote_f64x2_zero (f64x2.sub
            (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $off)))) (local.get $sDecay))
            (local.get $u))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop)))
    ;; an odd last element, the same arithmetic on scalars
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $off (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2)))
        (local.set $t (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $off)))) (local.get $scale)))
        (local.set $x (f64.add
          (f64.mul (local.get $beta1) (f64.promote_f32 (f32.load (i32.add (local.get $m) (local.get $off)))))
          (f64.mul (f64.sub (f64.const 1) (local.get $beta1)) (local.get $t))))
        (local.set $y (f64.add
          (f64.mul (local.get $beta2) (f64.promote_f32 (f32.load (i32.add (local.get $v) (local.get $off)))))
          (f64.mul (f64.mul (f64.sub (f64.const 1) (local.get $beta2)) (local.get $t)) (local.get $t))))
        (f32.store (i32.add (local.get $m) (local.get $off)) (f32.demote_f64 (local.get $x)))
        (f32.store (i32.add (local.get $v) (local.get $off)) (f32.demote_f64 (local.get $y)))
        (local.set $w (f64.div
          (f64.mul (local.get $stepSize) (local.get $x))
          (f64.add (f64.div (f64.sqrt (local.get $y)) (local.get $bc2Sqrt)) (local.get $eps))))
        (f32.store (i32.add (local.get $p) (local.get $off))
          (f32.demote_f64 (f64.sub
            (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $off)))) (local.get $decay))
            (local.get $w)))))))

  ;; The same update in single precision, four lanes at a time (f32x4), for models where the
  ;; update's time matters more than bit-identity with the double-precision kernel: each operation
  ;; rounds to float32, as torch.optim.AdamW does for float32 parameters. The constants arrive as
  ;; f64 and are rounded once; 1 - beta1 and 1 - beta2 are formed in f64 first, as above.
  (func (export "adamw_f32")
    (param $g i32) (param $m i32) (param $v i32) (param $p i32) (param $n i32)
    (param $scale f64) (param $beta1 f64) (param $beta2 f64) (param $stepSize f64)
    (param $bc2Sqrt f64) (param $eps f64) (param $decay f64)
    (local $off i32) (local $end i32) (local $quads i32)
    (local $gi v128) (local $mi v128) (local $vi v128)
    (local $sScale v128) (local $sB1 v128) (local $sB2 v128) (local $sB1c v128) (local $sB2c v128)
    (local $sStep v128) (local $sBc2 v128) (local $sEps v128) (local $sDecay v128)
    (local $x f32) (local $y f32) (local $t f32)
    (local.set $sScale (f32x4.splat (f32.demote_f64 (local.get $scale))))
    (local.set $sB1 (f32x4.splat (f32.demote_f64 (local.get $beta1))))
    (local.set $sB2 (f32x4.splat (f32.demote_f64 (local.get $beta2))))
    (local.set $sB1c (f32x4.splat (f32.demote_f64 (f64.sub (f64.const 1) (local.get $beta1)))))
    (local.set $sB2c (f32x4.splat (f32.demote_f64 (f64.sub (f64.const 1) (local.get $beta2)))))
    (local.set $sStep (f32x4.splat (f32.demote_f64 (local.get $stepSize))))
    (local.set $sBc2 (f32x4.splat (f32.demote_f64 (local.get $bc2Sqrt))))
    (local.set $sEps (f32x4.splat (f32.demote_f64 (local.get $eps))))
    (local.set $sDecay (f32x4.splat (f32.demote_f64 (local.get $decay))))
    ;; byte offset where the four-lane loop stops
    (local.set $quads (i32.shl (i32.shr_u (local.get $n) (i32.const 2)) (i32.const 4)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $off) (local.get $quads)))
        (local.set $gi (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $off))) (local.get $sScale)))
        (local.set $mi (f32x4.add
          (f32x4.mul (local.get $sB1) (v128.load (i32.add (local.get $m) (local.get $off))))
          (f32x4.mul (local.get $sB1c) (local.get $gi))))
        (local.set $vi (f32x4.add
          (f32x4.mul (local.get $sB2) (v128.load (i32.add (local.get $v) (local.get $off))))
          (f32x4.mul (f32x4.mul (local.get $sB2c) (local.get $gi)) (local.get $gi))))
        (v128.store (i32.add (local.get $m) (local.get $off)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $off)) (local.get $vi))
        (v128.store (i32.add (local.get $p) (local.get $off))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $off))) (local.get $sDecay))
            (f32x4.div
              (f32x4.mul (local.get $sStep) (local.get $mi))
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $sBc2)) (local.get $sEps)))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $loop)))
    ;; the last n mod 4 elements, the same arithmetic on scalars
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $t (f32.mul (f32.load (i32.add (local.get $g) (local.get $off))) (f32x4.extract_lane 0 (local.get $sScale))))
        (local.set $x (f32.add
          (f32.mul (f32x4.extract_lane 0 (local.get $sB1)) (f32.load (i32.add (local.get $m) (local.get $off))))
          (f32.mul (f32x4.extract_lane 0 (local.get $sB1c)) (local.get $t))))
        (local.set $y (f32.add
          (f32.mul (f32x4.extract_lane 0 (local.get $sB2)) (f32.load (i32.add (local.get $v) (local.get $off))))
          (f32.mul (f32.mul (f32x4.extract_lane 0 (local.get $sB2c)) (local.get $t)) (local.get $t))))
        (f32.store (i32.add (local.get $m) (local.get $off)) (local.get $x))
        (f32.store (i32.add (local.get $v) (local.get $off)) (local.get $y))
        (f32.store (i32.add (local.get $p) (local.get $off))
          (f32.sub
            (f32.mul (f32.load (i32.add (local.get $p) (local.get $off))) (f32x4.extract_lane 0 (local.get $sDecay)))
            (f32.div
              (f32.mul (f32x4.extract_lane 0 (local.get $sStep)) (local.get $x))
              (f32.add (f32.div (f32.sqrt (local.get $y)) (f32x4.extract_lane 0 (local.get $sBc2))) (f32x4.extract_lane 0 (local.get $sEps))))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $tail)))
  )
)
