func.func @ok(%a: f32) -> f32 {
  // expected-error@+1 {{this error is never emitted}}
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
