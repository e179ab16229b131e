import CityMacros
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacros
import SwiftSyntaxMacrosGenericTestSupport
import Testing

/// What `@MemberwiseInit` writes: the stored properties in order, a `var`'s value as the default,
/// closures escaping, computed and static properties and valued `let`s left out; structs only.
struct MemberwiseInitMacroTests {
    let macros: [String: MacroSpec] = ["MemberwiseInit": MacroSpec(type: MemberwiseInitMacro.self)]

    /// swift-syntax's expansion check, its failures recorded as Swift Testing issues.
    func expect(_ source: String, expands expanded: String, diagnostics: [DiagnosticSpec] = [],
                sourceLocation: SourceLocation = #_sourceLocation) {
        assertMacroExpansion(source, expandedSource: expanded, diagnostics: diagnostics, macroSpecs: macros,
                             failureHandler: { Issue.record(Comment(rawValue: $0.message), sourceLocation: sourceLocation) })
    }

    @Test func storedPropertiesInOrderWithDefaults() {
        expect(
            """
            @MemberwiseInit
            struct Entry {
                var height: UInt64
                let name: String
                var tags: [String] = []
                let kind = 3
                static var count = 0
                var isEmpty: Bool { tags.isEmpty }
                var onChange: @Sendable (Int) -> Void
            }
            """,
            expands: """
            struct Entry {
                var height: UInt64
                let name: String
                var tags: [String] = []
                let kind = 3
                static var count = 0
                var isEmpty: Bool { tags.isEmpty }
                var onChange: @Sendable (Int) -> Void

                package init(height: UInt64, name: String, tags: [String] = [], onChange: @escaping @Sendable (Int) -> Void) {
                    self.height = height
                    self.name = name
                    self.tags = tags
                    self.onChange = onChange
                }
            }
            """)
    }

    @Test func publicAccess() {
        expect(
            """
            @MemberwiseInit(.public)
            struct Key {
                var id: Int
            }
            """,
            expands: """
            struct Key {
                var id: Int

                public init(id: Int) {
                    self.id = id
                }
            }
            """)
    }

    @Test func refusesAClass() {
        expect(
            """
            @MemberwiseInit
            final class Box {
                var id: Int = 0
            }
            """,
            expands: """
            final class Box {
                var id: Int = 0
            }
            """,
            diagnostics: [DiagnosticSpec(message: "@MemberwiseInit applies to structs only", line: 1, column: 1)])
    }
}
