// An analyst's list of addresses shared by several customers, paged both ways.
import { graphql } from "react-relay";

export const SharedAddressesFragment = graphql`
  fragment SharedAddresses_query on Query
  @refetchable(queryName: "SharedAddressesPaginationQuery")
  @argumentDefinitions(first: { type: "Int", defaultValue: 10 }, after: { type: "String" }) {
    sharedAddresses(minResidents: 2, first: $first, after: $after) @connection(key: "SharedAddresses_sharedAddresses") {
      edges { node { residentCount address { id city } residents { id name } } }
    }
  }
`;

export const SharedAddressesQuery = graphql`
  query SharedAddressesQuery {
    ...SharedAddresses_query
  }
`;
