import OSSCore

/// A conformance case for an op that writes one Float32 tensor: the inputs are captured by `call`, `reset` puts the
/// output back in its pre-run state (poisoned, or the input values again for an in-place op), and the result
/// is compared with `expected` at `tolerance`. Inputs listed in `inputs` must come back bit-for-bit unchanged.
struct TensorOpCase: ConformanceCase {
    let op: String
    let parameters: String
    let descriptor: OpDescriptor
    let output: GuardedTensor
    let expected: [Double]
    let tolerance: Double
    let reset: () -> Void
    let call: (any Backend) throws -> Void
    /// Read-only inputs and their bits before any run.
    let inputs: [InputSnapshot]

    /// A case writing into a separate, poisoned `output`; `inputs` are the tensors the op must only read.
    init(
        _ descriptor: OpDescriptor, _ parameters: String, output: GuardedTensor, expected: [Double],
        tolerance: Double, inputs: [GuardedTensor] = [], call: @escaping (any Backend) throws -> Void
    ) {
        self.init(
            descriptor, parameters, output: output, expected: expected, tolerance: tolerance, inputs: inputs,
            reset: { output.poison() }, call: call)
    }

    /// A case with its own `reset` (in-place ops: `output` aliases an input that `reset` refills).
    init(
        _ descriptor: OpDescriptor, _ parameters: String, output: GuardedTensor, expected: [Double],
        tolerance: Double, inputs: [GuardedTensor] = [], reset: @escaping () -> Void,
        call: @escaping (any Backend) throws -> Void
    ) {
        op = descriptor.kind.rawValue
        self.parameters = parameters
        self.descriptor = descriptor
        self.output = output
        self.expected = expected
        self.tolerance = tolerance
        self.reset = reset
        self.call = call
        self.inputs = inputs.map(InputSnapshot.init)
    }

    /// An in-place case: `tensor` holds `input` before every run and the result afterwards.
    static func inPlace(
        _ descriptor: OpDescriptor, _ parameters: String, tensor: GuardedTensor, input: [Float],
        expected: [Double], tolerance: Double, inputs: [GuardedTensor] = [],
        call: @escaping (any Backend) throws -> Void
    ) -> TensorOpCase {
        TensorOpCase(
            descriptor, parameters, output: tensor, expected: expected, tolerance: tolerance, inputs: inputs,
            reset: {
                tensor.poison()
                input.withUnsafeBufferPointer { tensor.view.pointer.update(from: $0.baseAddress!, count: input.count) }
            },
            call: call)
    }

    func run(on backend: any Backend) throws -> String? {
        if let u = Conformance.unsupported(backend, descriptor) { return u }
        reset()
        try call(backend)
        if let problem = Comparison.check(output, expected: expected, tolerance: tolerance) { return problem }
        for (n, input) in inputs.enumerated() {
            if let problem = input.changes() { return "read-only input \(n) of \(op) was modified: \(problem)" }
        }
        return nil
    }
}

/// The bits of an input (view and guards) before the runs, to prove an op only read it.
struct InputSnapshot {
    let tensor: GuardedTensor
    let bits: [UInt32]

    init(_ tensor: GuardedTensor) {
        self.tensor = tensor
        bits = tensor.whole.toArray().map(\.bitPattern)
    }

    /// nil when nothing changed, else where.
    func changes() -> String? {
        let now = tensor.whole.toArray()
        guard let i = now.indices.first(where: { now[$0].bitPattern != bits[$0] }) else { return nil }
        return
            "element \(i - (tensor.view.offset - tensor.whole.offset)) (relative to the view of \(tensor.view.count)) "
            + "was \(Float(bitPattern: bits[i])), now \(now[i])"
    }
}

extension SeededRandom {
    /// A generator for a case: seeded from the op and its parameters; returns the generator and the parameter
    /// string with the seed appended.
    static func forCase(_ op: String, _ parameters: String) -> (SeededRandom, String) {
        let seed = SeededRandom.seed(for: op + parameters)
        return (SeededRandom(seed: seed), parameters + ",seed=\(Conformance.hex(seed))")
    }
}
