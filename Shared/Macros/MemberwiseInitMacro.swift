import SwiftCompilerPlugin
import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@MemberwiseInit` on a struct: a `package` memberwise initializer, the one Swift synthesizes
/// but visible to the other modules of the package (Swift's own is internal). Parameters are the
/// stored properties in declaration order, labelled with their names; a `var` with an initial
/// value becomes a parameter with that default; a `let` with a value, `static` and computed
/// properties are left out. `@MemberwiseInit(.public)` makes it public.
///
/// It replaces ~80 hand-written initializers that only copied their parameters into the
/// properties of the same names, each a place where a new field could be forgotten.
public struct MemberwiseInitMacro: MemberMacro {
    public static func expansion(of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax,
                                 conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext) throws -> [DeclSyntax] {
        guard declaration.is(StructDeclSyntax.self) else {
            throw MacroMessage("@MemberwiseInit applies to structs only")
        }
        var access = "package"
        if case .argumentList(let arguments) = node.arguments, let first = arguments.first {
            access = first.expression.trimmedDescription.trimmingPrefix(".").description
        }
        var parameters: [String] = []
        var assignments: [String] = []
        for member in declaration.memberBlock.members {
            guard let variable = member.decl.as(VariableDeclSyntax.self) else { continue }
            if variable.modifiers.contains(where: { [.keyword(.static), .keyword(.class), .keyword(.lazy)].contains($0.name.tokenKind) }) { continue }
            let isLet = variable.bindingSpecifier.tokenKind == .keyword(.let)
            for binding in variable.bindings {
                guard let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.trimmedDescription else { continue }
                if let accessors = binding.accessorBlock, isComputed(accessors) { continue }
                if isLet && binding.initializer != nil { continue }
                guard let type = binding.typeAnnotation?.type else {
                    throw MacroMessage("@MemberwiseInit needs a type annotation on '\(name)'")
                }
                var parameter = "\(name): \(escaping(type))"
                if let value = binding.initializer?.value { parameter += " = \(value.trimmedDescription)" }
                parameters.append(parameter)
                assignments.append("self.\(name) = \(name)")
            }
        }
        let body = assignments.isEmpty ? "" : "\n" + assignments.joined(separator: "\n") + "\n"
        return ["\(raw: access) init(\(raw: parameters.joined(separator: ", "))) {\(raw: body)}"]
    }

    /// Computed (a getter) rather than stored with observers.
    private static func isComputed(_ block: AccessorBlockSyntax) -> Bool {
        switch block.accessors {
        case .getter: return true
        case .accessors(let list):
            return list.contains { [.keyword(.get), .keyword(._read), .keyword(._modify)].contains($0.accessorSpecifier.tokenKind) }
        }
    }

    /// A function-typed parameter stored in a property must escape.
    private static func escaping(_ type: TypeSyntax) -> String {
        var bare = type
        if let attributed = type.as(AttributedTypeSyntax.self) { bare = attributed.baseType }
        return bare.is(FunctionTypeSyntax.self) ? "@escaping \(type.trimmedDescription)" : type.trimmedDescription
    }
}

struct MacroMessage: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@main struct CityMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [MemberwiseInitMacro.self]
}
