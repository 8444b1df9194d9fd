# Defines no `schedule`.
x = 1
