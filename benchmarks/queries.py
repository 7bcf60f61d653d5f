"""The GraphQL documents the benchmarks send, written once so that every table measures the same thing."""

PROFILE = """query CustomerProfile($id: ID!) { customer(id: $id) {
  id name ssn dateOfBirth
  addresses { street city state zipCode }
  phones { number type }
  accounts { id type balance status }
  transactions(first: 20) { totalCount edges { node { id amount timestamp to { id } } } }
  metrics { numAccounts totalBalance numTransactions totalVolume avgTransaction }
  segment { tier reasons { rule detail } }
  risk { score level reasons { rule detail } }
  recommendations { product reason { rule detail } }
  relatedCustomers(first: 10) { person { id } via evidence }
} }"""
"""One customer's whole screen, every computed insight included."""

NESTED = """query Nested {
  customers(first: 100) {
    edges { node { id name accounts { id type balance
      sent(first: 5) { edges { node { id amount timestamp to { id owner { id name } } } } } } } }
  }
}"""
"""The front-end's nested query: 100 customers -> accounts -> 5 payments -> counterparty -> owner."""
