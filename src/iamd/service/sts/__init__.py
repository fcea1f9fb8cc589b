"""The Security Token Service (API version 2011-06-15): temporary credentials."""
