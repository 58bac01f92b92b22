"""Live event push to desktops and wallboards; filled by the routing/desktop issue."""
