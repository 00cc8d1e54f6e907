import { configTable } from '../src/config';

// Prints the configuration table that the README embeds.
console.log(configTable());
