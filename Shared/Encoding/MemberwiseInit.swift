/// A `package` memberwise initializer for a struct (Shared/Macros, `MemberwiseInitMacro`): the
/// stored properties in order, labelled with their names, a `var`'s initial value as the
/// parameter's default. Swift synthesizes the same initializer but only for its own module.
@attached(member, names: named(init))
public macro MemberwiseInit(_ access: MemberwiseAccess = .package) = #externalMacro(module: "CityMacros", type: "MemberwiseInitMacro")

/// The access level of the initializer `@MemberwiseInit` writes.
public enum MemberwiseAccess { case `package`, `public`, `internal` }
