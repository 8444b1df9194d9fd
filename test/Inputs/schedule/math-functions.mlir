// Payload of test/schedule/math-approximation.py: erf and log (named by the schedule), tanh (not).
func.func @payload(%x: vector<8xf32>, %s: f32) -> (vector<8xf32>, f32, vector<8xf32>) {
  %0 = math.erf %x : vector<8xf32>
  %1 = math.log %s : f32
  %2 = math.tanh %x : vector<8xf32>
  return %0, %1, %2 : vector<8xf32>, f32, vector<8xf32>
}
