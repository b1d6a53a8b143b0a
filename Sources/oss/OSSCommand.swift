import ArgumentParser

/// `oss`: SwiftOSS command-line tool.
@main
struct OSSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oss",
        abstract: "SwiftOSS: local inference and benchmarking of open-weight transformer models on CPUs.",
        subcommands: [
            InfoCommand.self, BenchCommand.self, TuneCommand.self, SynthCommand.self, QuantizeCommand.self,
            LogitsCommand.self, GenerateCommand.self, ChatCommand.self, ServeCommand.self,
            HarmonyCommand.self, TokenizeCommand.self, DetokenizeCommand.self,
        ])
}
