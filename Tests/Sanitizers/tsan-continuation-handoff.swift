// The ThreadSanitizer false positive behind the swift-http-types entry in tsan.supp, reproduced without any library:
// an object built on a plain thread is handed to a suspended task through a continuation resumed on that thread (as
// swift-nio's NIOThrowingAsyncSequenceProducer hands an element to its consumer, resuming outside its lock), and the
// task reads it. The program is race-free (resume happens before the task runs on), yet with Swift 6.3.1 on Linux
// TSan reports the task's read against the thread's write: it does not see the resume → resumed-task edge.
//
//   swiftc -O -g -sanitize=thread Tests/Sanitizers/tsan-continuation-handoff.swift -o /tmp/handoff && /tmp/handoff
//
// prints "WARNING: ThreadSanitizer: data race" (read in handOff, write in Box.init) and then "sum 40000".
// Not part of any target: kept as the evidence for the suppression's reason.
import Foundation

final class Box: @unchecked Sendable {
    var a: Int
    var b: [Int]
    init(_ x: Int) {
        a = x
        b = [x, x + 1]
    }
}

func handOff(_ i: Int) async -> Int {
    let box: Box = await withCheckedContinuation { (c: CheckedContinuation<Box, Never>) in
        Thread { c.resume(returning: Box(i)) }.start()
    }
    return box.a + box.b[1]
}

let done = DispatchSemaphore(value: 0)
Task.detached {
    var sum = 0
    for i in 0..<200 { sum += await handOff(i) }
    print("sum", sum)
    done.signal()
}
done.wait()
